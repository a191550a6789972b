#pragma once
// Each suite is a QObject test class; main.cpp runs the one named on the command line.

#include <QObject>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace distillery::tests {

using SuiteFactory = std::function<std::unique_ptr<QObject>()>;
std::map<std::string, SuiteFactory>& suites();

struct SuiteRegistration {
    SuiteRegistration(const std::string& name, SuiteFactory factory) { suites()[name] = std::move(factory); }
};

/** Folder for a test's scratch files, removed and recreated. */
std::string scratchDir(const std::string& name);

}  // namespace distillery::tests

#define DISTILLERY_TEST_SUITE(NAME, CLASS) \
    static ::distillery::tests::SuiteRegistration registration_##CLASS(NAME, [] { return std::make_unique<CLASS>(); })
