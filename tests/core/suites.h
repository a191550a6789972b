#pragma once
// Each suite is a QObject test class; main.cpp runs the one named on the command line.

#include <QObject>
#include <QString>
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

/** The message of the distillery::Error `action` throws, or an empty string when it throws none; any other
 *  exception goes on to fail the test. */
QString errorOf(const std::function<void()>& action);

/** The message of any std::exception `action` throws (an Error for bad input, a Failure for a runtime that
 *  cannot run), or an empty string. */
QString exceptionOf(const std::function<void()>& action);

}  // namespace distillery::tests

#define DISTILLERY_TEST_SUITE(NAME, CLASS)                              \
    static ::distillery::tests::SuiteRegistration registration_##CLASS( \
        NAME, [] { return std::make_unique<CLASS>(); })
