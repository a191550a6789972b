#pragma once
// Turns the engine's observer callbacks (on the job's thread) into queued Qt signals (on the bridge's
// thread), so the UI never waits on a tensor and never touches the job's thread.

#include <QObject>
#include <QString>
#include <memory>

#include "core/engine.h"
#include "widgets/views/view_types.h"

namespace distillery {

class EngineBridge : public QObject {
    Q_OBJECT

public:
    explicit EngineBridge(QObject* parent = nullptr);
    ~EngineBridge() override;

    /** Starts a job for the recipe; engine errors (bad recipe, missing teacher) are returned, not thrown. The
     * job is built on another thread while this one goes on with everything but user input (painting, timers,
     *  queued signals), so the window does not freeze while the data and models load. */
    bool start(const Recipe& recipe, const JobOptions& options, QString* error);
    void pause();
    void resume();
    void cancel();
    bool isRunning() const;
    Job* job() const { return mJob.get(); }

Q_SIGNALS:
    void stepReported(const distillery::StepEvent& event);
    void epochReported(const distillery::EpochEvent& event);
    void snapshotReady(const distillery::ActivationSnapshot& snapshot);
    void balanceReported(const distillery::BalanceSample& sample);
    void logReported(int level, const QString& text);
    void finished(const distillery::RunSummary& summary);

private:
    class Forwarder;
    std::unique_ptr<Job> mJob;
    std::shared_ptr<Forwarder> mForwarder;
    bool mStarting = false;  // a job is being built (start() is waiting for it)
};

}  // namespace distillery
