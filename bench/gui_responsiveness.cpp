// Responsiveness of the workbench during a live distillation, for docs/BENCHMARKS.md;
// bench/run_gui_benchmark.sh runs it beside `distillery-bench train` on the same recipe.
//   distillery-gui-bench [--recipe PATH] [--steps N] [--warmup W] [--threads T] [--refresh MS] [--set k=v]...
//                        [--timeout S]
// The real MainWindow, shown (xcb under xvfb-run, or QT_QPA_PLATFORM=offscreen), is driven the way a user
// drives it: a new project, the recipe imported (default: the shipped resources/recipes/fmnist_cwd.yaml with
// its shipped teacher), `--set` overrides and the thread count as edits of the recipe, the inspector refresh
// as the user's setting (default 500 ms), then Distill Student. Loss curves and the channel inspector are
// shown and live while it trains. Over the timed window (the N steps after W warm-up steps) it measures
//   - event-loop latency: a 10 ms Qt::PreciseTimer records how late each tick fires against its schedule
//     (Qt's own rule for precise timers: the next slot is the last slot + 10 ms, or now + 10 ms when that
//     slot has already passed). Slots swallowed by a long block count too, each with its own lateness, so a
//     block weighs by its length. Also a posted-event round trip (queued call → run) started at each tick;
//   - training throughput: images/s from the StepEvents arriving through the engine bridge, as
//     distillery-bench times them (step-to-step intervals within an epoch, after the warm-up, skipping the
//     evaluation pass between epochs).
// Then it stops the run (Stop) and prints one JSON line.

#include <QApplication>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "widgets/data_dock.h"
#include "widgets/engine_bridge.h"
#include "widgets/main_window.h"
#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"
#include "widgets/views/channel_inspector_view.h"
#include "widgets/views/loss_curves_view.h"

using namespace distillery;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kTickMs = 10;

struct Options {
    QString recipe;
    int64_t steps = 150;
    int64_t warmup = 15;
    int threads = 2;
    int refreshMs = 500;
    int timeoutSeconds = 3600;
    std::vector<std::string> overrides;
};

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

/** Nearest-rank percentile (p in 0..1) of unsorted samples; 0 when there are none. */
double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

Options parseOptions(const QStringList& args) {
    Options o;
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args[i];
        auto value = [&]() -> QString {
            if (i + 1 >= args.size()) throw std::runtime_error(a.toStdString() + " needs a value");
            return args[++i];
        };
        auto number = [&](const QString& text) {
            bool ok = false;
            const qlonglong n = text.toLongLong(&ok);
            if (!ok || n < 0) throw std::runtime_error(a.toStdString() + " needs a number >= 0");
            return n;
        };
        if (a == "--recipe")
            o.recipe = value();
        else if (a == "--steps")
            o.steps = number(value());
        else if (a == "--warmup")
            o.warmup = number(value());
        else if (a == "--threads")
            o.threads = static_cast<int>(number(value()));
        else if (a == "--refresh")
            o.refreshMs = static_cast<int>(number(value()));
        else if (a == "--timeout")
            o.timeoutSeconds = static_cast<int>(number(value()));
        else if (a == "--set")
            o.overrides.push_back(value().toStdString());
        else
            throw std::runtime_error(
                "unknown option " + a.toStdString() +
                " (usage: distillery-gui-bench [--recipe PATH] [--steps N] [--warmup W] [--threads T] "
                "[--refresh MS] [--set key=value]... [--timeout S])");
    }
    if (o.steps < 1) throw std::runtime_error("--steps must be at least 1");
    if (o.recipe.isEmpty()) o.recipe = demoRecipePath();
    if (o.recipe.isEmpty() || !QFileInfo::exists(o.recipe))
        throw std::runtime_error("recipe not found: " + o.recipe.toStdString() +
                                 " (resources/recipes/fmnist_cwd.yaml; or pass --recipe)");
    return o;
}

/** Runs the event loop until `done()` holds (checked whenever `sender` emits `signal`) or the timeout. */
template <typename Sender, typename Signal>
bool waitFor(Sender* sender, Signal signal, const std::function<bool()>& done, int timeoutMs) {
    if (done()) return true;
    QEventLoop loop;
    QObject::connect(sender, signal, &loop, [&] {
        if (done()) loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

int run(QApplication& app) {
    const Options opt = parseOptions(app.arguments());

    // The bench's own settings, in Qt's test location: the user's workbench settings stay untouched.
    QTemporaryDir scratch;
    if (!scratch.isValid()) throw std::runtime_error("cannot create a temporary folder");
    QStandardPaths::setTestModeEnabled(true);
    QSettings settings;
    settings.clear();
    settings.setValue("projectsRoot", scratch.path() + "/projects");
    settings.setValue("autosaveSeconds", 0);
    settings.setValue("welcomeDone", true);
    settings.setValue("snapshotIntervalMs", opt.refreshMs);  // Settings > inspector refresh
    settings.sync();

    MainWindow w;
    w.resize(1600, 1000);
    w.show();
    QStringList errors;
    QObject::connect(&w, &MainWindow::errorShown, [&](const QString& m) { errors << m; });
    auto fail = [&](const std::string& what) {
        std::string text = what;
        if (!errors.isEmpty()) text += ": " + errors.last().toStdString();
        throw std::runtime_error(text);
    };

    QString error;
    if (!w.newProject(scratch.path() + "/project", &error)) fail("new project: " + error.toStdString());
    auto dataReady = [&] { return !w.dataDock()->isLoading() && w.dataDock()->info().valid; };
    if (!w.importRecipe(opt.recipe, &error))
        fail("import " + opt.recipe.toStdString() + ": " + error.toStdString());
    // What a user would type into the recipe dock: the overrides and the training threads.
    const std::string recipePath = opt.recipe.toStdString();
    try {
        const Recipe edited = loadRecipe(recipePath, opt.overrides);
        w.document()->edit("benchmark settings", [&](Recipe& r) {
            r = edited;
            r.threads = opt.threads;
        });
    } catch (const std::exception& e) {
        fail(std::string("--set: ") + e.what());
    }
    // The data dock loads its preview off the GUI thread; let it finish before training starts.
    QTimer poll;
    poll.start(50);
    if (!waitFor(&poll, &QTimer::timeout, dataReady, 120000)) fail("the data dock did not load the data set");

    // Latency probe: runs from before the start; samples count only inside the timed window.
    bool measuring = false;
    std::vector<double> late, posted;
    int64_t ticks = 0, missed = 0;
    Clock::time_point expected{};
    bool postInFlight = false;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(kTickMs);
    const auto interval = std::chrono::milliseconds(kTickMs);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const auto now = Clock::now();
        if (expected == Clock::time_point{}) {
            expected = now + interval;
            return;
        }
        if (measuring) {
            ++ticks;
            late.push_back(std::max(0.0, ms(now - expected)));
            // Slots that passed while the loop was blocked: each would have been this late.
            for (auto slot = expected + interval; slot < now; slot += interval) {
                late.push_back(ms(now - slot));
                ++missed;
            }
        }
        expected += interval;
        if (expected < now) expected = now + interval;
        if (measuring && !postInFlight) {
            postInFlight = true;
            QMetaObject::invokeMethod(
                &app,
                [&, sent = now] {
                    postInFlight = false;
                    if (measuring) posted.push_back(ms(Clock::now() - sent));
                },
                Qt::QueuedConnection);
        }
    });
    tick.start();

    // Throughput from the bridge's StepEvents, timed as distillery-bench times the engine alone.
    int64_t batchSize = 0, timed = 0, lastStep = 0;
    int lastEpoch = -1;
    double seconds = 0.0;
    Clock::time_point last{}, windowStart{}, windowEnd{};
    int snapshots = 0, curvePointsAtStart = 0;
    bool curvesVisible = false, inspectorVisible = false, inspectorLive = false;
    bool done = false;
    const QString cwdCurve = "loss/total";
    QObject::connect(w.bridge(), &EngineBridge::stepReported, [&](const StepEvent& e) {
        const auto now = Clock::now();
        lastStep = e.step;
        if (!measuring && !done && e.step >= opt.warmup) {
            measuring = true;
            windowStart = now;
            curvePointsAtStart = w.lossCurves()->pointCount(cwdCurve);
            // Shown, not hidden behind another tab or dock, and refreshing by themselves.
            curvesVisible = w.lossCurves()->isVisible() && !w.lossCurves()->visibleRegion().isEmpty();
            inspectorVisible = w.inspector()->isVisible() && !w.inspector()->visibleRegion().isEmpty();
            inspectorLive = w.inspector()->isLive() && w.inspector()->refreshInterval() > 0;
        }
        if (e.step > opt.warmup && e.epoch == lastEpoch && timed < opt.steps) {
            seconds += std::chrono::duration<double>(now - last).count();
            if (++timed == opt.steps) {
                measuring = false;
                done = true;
                windowEnd = now;
                w.stopRun();  // what the Stop button does
            }
        }
        last = now;
        lastEpoch = e.epoch;
    });
    QObject::connect(w.bridge(), &EngineBridge::snapshotReady, [&](const ActivationSnapshot&) {
        if (measuring) ++snapshots;
    });
    QString finishedStatus;
    QObject::connect(&w, &MainWindow::runFinished, [&](const QString&, RunStatus status) {
        finishedStatus = QString::fromLatin1(statusName(status));
    });

    if (!w.distillStudent()) fail("Distill Student did not start");
    if (w.bridge()->job()) batchSize = w.bridge()->job()->recipe().batchSize;
    if (!waitFor(
            &w, &MainWindow::runFinished, [&] { return !finishedStatus.isEmpty(); },
            opt.timeoutSeconds * 1000)) {
        w.stopRun();
        waitFor(
            &w, &MainWindow::runFinished, [&] { return !finishedStatus.isEmpty(); }, 120000);
        fail("timed out after " + std::to_string(opt.timeoutSeconds) + " s at step " +
             std::to_string(lastStep));
    }
    tick.stop();
    if (finishedStatus == "failed") fail("the run failed");
    if (timed < opt.steps)
        fail("only " + std::to_string(timed) + " steps were timed (the run ended: " +
             finishedStatus.toStdString() + "); lengthen the recipe or lower --steps");
    if (!curvesVisible || !inspectorVisible || !inspectorLive)
        fail("the loss curves and the live channel inspector were not both shown during the timed window");
    if (snapshots == 0) fail("the inspector received no snapshot during the timed window");

    const double ips = static_cast<double>(timed * batchSize) / seconds;
    QJsonObject out{
        {"recipe", opt.recipe},
        {"gui_images_per_second", ips},
        {"step_ms", 1000.0 * seconds / static_cast<double>(timed)},
        {"steps", static_cast<qint64>(timed)},
        {"warmup", static_cast<qint64>(opt.warmup)},
        {"batch_size", static_cast<qint64>(batchSize)},
        {"threads", opt.threads},
        {"latency_p50_ms", percentile(late, 0.50)},
        {"latency_p99_ms", percentile(late, 0.99)},
        {"latency_max_ms", late.empty() ? 0.0 : *std::max_element(late.begin(), late.end())},
        {"ticks", static_cast<qint64>(ticks)},
        {"missed_ticks", static_cast<qint64>(missed)},
        {"tick_ms", kTickMs},
        {"post_p50_ms", percentile(posted, 0.50)},
        {"post_p99_ms", percentile(posted, 0.99)},
        {"post_max_ms", posted.empty() ? 0.0 : *std::max_element(posted.begin(), posted.end())},
        {"window_seconds", std::chrono::duration<double>(windowEnd - windowStart).count()},
        {"inspector_refresh_ms", w.inspector()->refreshInterval()},
        {"snapshots", snapshots},
        {"curve_points", w.lossCurves()->pointCount(cwdCurve) - curvePointsAtStart},
        {"platform", QGuiApplication::platformName()},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
    settings.clear();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Without a display, render offscreen rather than fail to connect to X.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("Distillery-bench");
    QCoreApplication::setApplicationName("distillery-gui-bench");
    try {
        return run(app);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "distillery-gui-bench: %s\n", e.what());
        return 2;
    }
}
