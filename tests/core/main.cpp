#include <unistd.h>
#include <QCoreApplication>
#include <QtTest/QtTest>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/types.h"
#include "tests/core/suites.h"

namespace distillery::tests {

std::map<std::string, SuiteFactory>& suites() {
    static std::map<std::string, SuiteFactory> all;
    return all;
}

std::string scratchDir(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("distillery-tests-" + std::to_string(getpid())) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

QString errorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

QString exceptionOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace distillery::tests

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    auto& all = distillery::tests::suites();
    if (argc < 2 || !all.count(argv[1])) {
        std::fprintf(stderr, "usage: %s SUITE [qtest options]\nsuites:", argv[0]);
        for (auto& [name, _] : all)
            std::fprintf(stderr, " %s", name.c_str());
        std::fprintf(stderr, "\n");
        return 2;
    }
    // Hermetic: no suite reads or fills the user's shared teacher cache; the suites that test it pass their
    // own folder (JobOptions::teacherCacheDir, or the variable for the CLI's processes).
    ::setenv("DISTILLERY_TEACHER_CACHE", "off", 1);
    auto suite = all[argv[1]]();
    // QTest sees the suite name as argv[0].
    std::vector<char*> args{argv[0]};
    for (int i = 2; i < argc; ++i)
        args.push_back(argv[i]);
    int rc = QTest::qExec(suite.get(), static_cast<int>(args.size()), args.data());
    // DISTILLERY_KEEP_SCRATCH=1 keeps the run folders for a post-mortem of a failure.
    const char* keep = std::getenv("DISTILLERY_KEEP_SCRATCH");
    if (keep && *keep && std::string(keep) != "0") {
        std::fprintf(
            stderr, "scratch kept in %s\n",
            (std::filesystem::temp_directory_path() / ("distillery-tests-" + std::to_string(getpid())))
                .c_str());
        return rc;
    }
    std::error_code ec;
    std::filesystem::remove_all(
        std::filesystem::temp_directory_path() / ("distillery-tests-" + std::to_string(getpid())), ec);
    return rc;
}
