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
    // QTest sees the suite name as argv[0]. `--shard K/N` runs every N-th test function from the K-th (0-based),
    // so that a slow suite can run as N processes side by side (the ThreadSanitizer build's trainer suite).
    std::vector<char*> args{argv[0]};
    std::vector<QByteArray> selected;
    for (int i = 2; i < argc; ++i) {
        if (std::string(argv[i]) == "--shard" && i + 1 < argc) {
            int k = -1, n = 0;
            if (std::sscanf(argv[i + 1], "%d/%d", &k, &n) != 2 || n < 1 || k < 0 || k >= n) {
                std::fprintf(stderr, "%s: --shard %s: expected K/N with 0 <= K < N\n", argv[0], argv[i + 1]);
                return 2;
            }
            const QMetaObject* meta = suite->metaObject();
            int index = 0;
            for (int m = meta->methodOffset(); m < meta->methodCount(); ++m) {
                const QMetaMethod method = meta->method(m);
                const QByteArray name = method.name();
                if (method.methodType() != QMetaMethod::Slot || method.access() != QMetaMethod::Private ||
                    method.parameterCount() != 0 || name.endsWith("_data") || name == "initTestCase" ||
                    name == "cleanupTestCase" || name == "init" || name == "cleanup")
                    continue;
                if (index++ % n == k) selected.push_back(name);
            }
            ++i;
            continue;
        }
        args.push_back(argv[i]);
    }
    for (auto& name : selected)
        args.push_back(name.data());
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
