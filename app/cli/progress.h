#pragma once
// Training progress on stderr: a redrawn bar on a terminal, plain lines otherwise (logs, CI).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.h"

namespace distillery::cli {

class ProgressPrinter : public Observer {
public:
    /** `epochs` is the recipe's epoch count; `interactive` redraws one line with `\r`. */
    ProgressPrinter(int epochs, bool interactive);

    void onStep(const StepEvent& event) override;
    void onEpoch(const EpochEvent& event) override;
    void onLog(LogLevel level, const std::string& message) override;

    /** Error-level logs, held back so that the caller reports them with the run's outcome. */
    std::vector<std::string> takeErrors();

    /** Clears the bar so that what follows starts on a clean line. */
    void finish();

    /** True when stderr is a terminal that understands `\r` redraws. */
    static bool stderrIsInteractive();

private:
    void clearBarLocked();
    void drawBarLocked(const StepEvent& event);
    void printLineLocked(const StepEvent& event);
    int totalEpochs(const StepEvent& event) const;
    /** "epoch 2/3 step 40/469" (or "init 1/1 step …" in the initialisation stage). */
    std::string positionText(const StepEvent& event) const;

    std::mutex mMutex;
    int mEpochs = 0;
    bool mInteractive = false;
    bool mBarShown = false;
    std::chrono::steady_clock::time_point mLastDraw;
    std::vector<std::pair<std::string, double>> mLastMetrics;  // the latest validation, for the bar
    std::vector<std::string> mErrors;
};

/** "1:02:03" or "02:03". */
std::string formatDuration(double seconds);
/** 1234 -> "1.23K", 12345678 -> "12.3M". */
std::string formatCount(int64_t count);
/** A metric value: 4 decimals, "nan" when not a number. */
std::string formatValue(double value);
/** "top1 0.8123 loss 0.4567". */
std::string formatMetrics(const std::vector<std::pair<std::string, double>>& metrics);

}  // namespace distillery::cli
