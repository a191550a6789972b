#pragma once
// Work off the GUI thread, each piece with its own continuation: `work` runs on Qt's thread pool on copies of
// its inputs, then `done(result)` (or `failed(message)` when it threw) runs on the owner's thread. Pieces
// run side by side; each continuation knows what its result is for, so no caller switches over task kinds.

#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QString>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace distillery {

class BackgroundWork : public QObject {
    Q_OBJECT

public:
    explicit BackgroundWork(QObject* parent = nullptr) : QObject(parent) {}
    /** Waits for work in flight: it only holds copies, but it should not outlive the page that asked. */
    ~BackgroundWork() override { waitForDone(); }

    template <typename R>
    void run(std::function<R()> work, std::function<void(R)> done,
             std::function<void(const QString& error)> failed = {});

    bool isIdle() const { return mInFlight.isEmpty(); }
    /** Blocks until every piece has run (their continuations run later, from the event loop). */
    void waitForDone() {
        for (QFutureWatcherBase* watcher : mInFlight)
            watcher->waitForFinished();
    }

private:
    QList<QFutureWatcherBase*> mInFlight;
};

template <typename R>
void BackgroundWork::run(std::function<R()> work, std::function<void(R)> done,
                         std::function<void(const QString& error)> failed) {
    struct Outcome {
        std::optional<R> value;
        QString error;
    };
    auto* watcher = new QFutureWatcher<Outcome>(this);
    mInFlight << watcher;
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, watcher, done = std::move(done), failed = std::move(failed)] {
                mInFlight.removeOne(watcher);
                Outcome outcome = watcher->result();
                watcher->deleteLater();
                if (outcome.value)
                    done(std::move(*outcome.value));
                else if (failed)
                    failed(outcome.error);
            });
    watcher->setFuture(QtConcurrent::run([work = std::move(work)] {
        Outcome outcome;
        try {
            outcome.value = work();
        } catch (const std::exception& e) {
            outcome.error = QString::fromStdString(e.what());
        } catch (...) {
            outcome.error = BackgroundWork::tr("unexpected error");
        }
        return outcome;
    }));
}

}  // namespace distillery
