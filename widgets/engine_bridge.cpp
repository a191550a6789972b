#include "widgets/engine_bridge.h"

#include <QEventLoop>
#include <QMetaObject>
#include <QPointer>
#include <exception>
#include <thread>

namespace distillery {

/** Lives as long as the job; forwards to the bridge only while the bridge exists. */
class EngineBridge::Forwarder : public Observer {
public:
    explicit Forwarder(EngineBridge* bridge) : mBridge(bridge) {}

    void onStep(const StepEvent& e) override {
        post([e](EngineBridge* b) { Q_EMIT b->stepReported(e); });
    }
    void onEpoch(const EpochEvent& e) override {
        post([e](EngineBridge* b) { Q_EMIT b->epochReported(e); });
    }
    void onSnapshot(const ActivationSnapshot& s) override {
        post([s](EngineBridge* b) { Q_EMIT b->snapshotReady(s); });
    }
    void onBalance(const BalanceSample& s) override {
        post([s](EngineBridge* b) { Q_EMIT b->balanceReported(s); });
    }
    void onLog(LogLevel level, const std::string& text) override {
        const QString t = QString::fromStdString(text);
        post([level, t](EngineBridge* b) { Q_EMIT b->logReported(static_cast<int>(level), t); });
    }
    void onFinished(const RunSummary& s) override {
        post([s](EngineBridge* b) { Q_EMIT b->finished(s); });
    }

private:
    template <typename F>
    void post(F&& f) {
        QPointer<EngineBridge> bridge(mBridge);
        if (!bridge) return;
        // A queued invocation on the bridge's thread: the job's thread never waits for the UI.
        QMetaObject::invokeMethod(
            bridge,
            [bridge, f = std::forward<F>(f)]() {
                if (bridge) f(bridge.data());
            },
            Qt::QueuedConnection);
    }
    QPointer<EngineBridge> mBridge;
};

EngineBridge::EngineBridge(QObject* parent) : QObject(parent) {
    registerEngineMetaTypes();
}

EngineBridge::~EngineBridge() {
    if (mJob) {
        mJob->cancel();
        mJob->wait();
    }
}

bool EngineBridge::start(const Recipe& recipe, const JobOptions& options, QString* error) {
    if (isRunning()) {
        if (error) *error = tr("A run is already in progress.");
        return false;
    }
    try {
        // Building the job loads the data and the models, folds and measures the teacher, and calibrates an
        // int8 one: seconds of work, done on a thread of its own while this one keeps painting the window and
        // running its timers. User input waits (it is delivered afterwards), so nothing can start, close or
        // edit the run being built.
        std::unique_ptr<Job> job;
        std::exception_ptr failure;
        {
            QEventLoop loop;
            mStarting = true;
            std::thread builder([&] {
                try {
                    job = std::make_unique<Job>(recipe, options);
                } catch (...) {
                    failure = std::current_exception();
                }
                QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection);
            });
            loop.exec(QEventLoop::ExcludeUserInputEvents);
            builder.join();
            mStarting = false;
        }
        if (failure) std::rethrow_exception(failure);
        mForwarder = std::make_shared<Forwarder>(this);
        job->addObserver(mForwarder);
        if (mJob) mJob->wait();
        mJob = std::move(job);
        mJob->start();
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

void EngineBridge::pause() {
    if (mJob) mJob->pause();
}

void EngineBridge::resume() {
    if (mJob) mJob->resume();
}

void EngineBridge::cancel() {
    if (mJob) mJob->cancel();
}

bool EngineBridge::isRunning() const {
    return mStarting || (mJob && mJob->running());
}

}  // namespace distillery
