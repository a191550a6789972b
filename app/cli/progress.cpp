#include "app/cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/format.h"

namespace distillery::cli {

namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

int terminalColumns() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 100;
}

std::string format(const char* pattern, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, pattern, value);
    return buffer;
}

}  // namespace

std::string formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const auto total = static_cast<int64_t>(std::llround(seconds));
    char buffer[32];
    if (total >= 3600)
        std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                      static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
    else
        std::snprintf(buffer, sizeof buffer, "%02lld:%02lld", static_cast<long long>(total / 60),
                      static_cast<long long>(total % 60));
    return buffer;
}

std::string formatCount(int64_t count) {
    return countText(count);  // the workbench's rule too (core/format.h)
}

std::string formatValue(double value) {
    return std::isnan(value) ? "nan" : format("%.4f", value);
}

std::string formatMetrics(const std::vector<std::pair<std::string, double>>& metrics) {
    std::string out;
    for (const auto& [name, value] : metrics)
        out += (out.empty() ? "" : " ") + name + " " + formatValue(value);
    return out;
}

ProgressPrinter::ProgressPrinter(int epochs, bool interactive) : mEpochs(epochs), mInteractive(interactive) {}

bool ProgressPrinter::stderrIsInteractive() {
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

int ProgressPrinter::totalEpochs(const StepEvent& event) const {
    if (event.init)
        return static_cast<int>(
            std::max<int64_t>(1, event.totalSteps / std::max<int64_t>(1, event.stepsPerEpoch)));
    // --max-steps can end the run before the recipe's last epoch; show the epochs that will actually run.
    if (event.stepsPerEpoch > 0 && event.totalSteps > 0) {
        const auto needed = (event.totalSteps + event.stepsPerEpoch - 1) / event.stepsPerEpoch;
        if (mEpochs <= 0 || needed < mEpochs) return static_cast<int>(needed);
    }
    return mEpochs;
}

void ProgressPrinter::onStep(const StepEvent& event) {
    std::lock_guard<std::mutex> lock(mMutex);
    if (mInteractive) {
        const auto now = std::chrono::steady_clock::now();
        const bool last = event.stepsPerEpoch > 0 && event.step % event.stepsPerEpoch == 0;
        if (!mBarShown || last || event.step == event.totalSteps || now - mLastDraw >= kRedrawInterval) {
            drawBarLocked(event);
            mLastDraw = now;
        }
        return;
    }
    // Ten lines per epoch keep logs readable for long epochs and still show life for short ones.
    const int64_t every = std::max<int64_t>(1, (event.stepsPerEpoch + 9) / 10);
    if (event.step % every == 0 || event.step == event.totalSteps) printLineLocked(event);
}

void ProgressPrinter::onEpoch(const EpochEvent& event) {
    std::lock_guard<std::mutex> lock(mMutex);
    clearBarLocked();
    if (event.split == Split::Val) mLastMetrics = event.metrics;
    std::string line = "epoch " + std::to_string(event.epoch) + " " + splitName(event.split) + ": " +
                       formatMetrics(event.metrics);
    if (event.best) line += " (best)";
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void ProgressPrinter::onLog(LogLevel level, const std::string& message) {
    std::lock_guard<std::mutex> lock(mMutex);
    // Errors end the run and are reported once with its summary; epoch lines repeat onEpoch().
    if (level == LogLevel::Error) {
        mErrors.push_back(message);
        return;
    }
    if (level == LogLevel::Info && message.rfind("epoch ", 0) == 0) return;
    clearBarLocked();
    std::fprintf(stderr, "%s%s\n", level == LogLevel::Warning ? "warning: " : "", message.c_str());
    std::fflush(stderr);
}

std::vector<std::string> ProgressPrinter::takeErrors() {
    std::lock_guard<std::mutex> lock(mMutex);
    return std::exchange(mErrors, {});
}

void ProgressPrinter::finish() {
    std::lock_guard<std::mutex> lock(mMutex);
    clearBarLocked();
}

void ProgressPrinter::clearBarLocked() {
    if (!mBarShown) return;
    std::fputs("\r\x1b[K", stderr);
    mBarShown = false;
}

std::string ProgressPrinter::positionText(const StepEvent& event) const {
    const int64_t spe = std::max<int64_t>(1, event.stepsPerEpoch);
    const int64_t inEpoch = std::clamp<int64_t>(event.step - (event.epoch - 1) * spe, 0, spe);
    return std::string(event.init ? "init " : "epoch ") + std::to_string(event.epoch) + "/" +
           std::to_string(totalEpochs(event)) + " step " + std::to_string(inEpoch) + "/" +
           std::to_string(spe);
}

void ProgressPrinter::drawBarLocked(const StepEvent& event) {
    const int64_t spe = std::max<int64_t>(1, event.stepsPerEpoch);
    const int64_t inEpoch = std::clamp<int64_t>(event.step - (event.epoch - 1) * spe, 0, spe);

    std::string head = positionText(event) + " ";
    std::string tail = " loss " + formatValue(event.total);
    if (!mLastMetrics.empty())
        tail += " " + mLastMetrics.front().first + " " + formatValue(mLastMetrics.front().second);
    tail += " " + format("%.0f", event.imagesPerSecond) + " img/s ETA " + formatDuration(event.etaSeconds);

    const int columns = terminalColumns();
    const int room = columns - 1 - static_cast<int>(head.size() + tail.size()) - 2;
    std::string line = head;
    if (room >= 10) {
        const int width = std::min(room, 40);
        const int filled = static_cast<int>(static_cast<double>(inEpoch) / static_cast<double>(spe) * width);
        line += "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    }
    line += tail;
    if (static_cast<int>(line.size()) >= columns) line.resize(std::max(0, columns - 1));
    std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
    std::fflush(stderr);
    mBarShown = true;
}

void ProgressPrinter::printLineLocked(const StepEvent& event) {
    std::string line = positionText(event) + " loss " + formatValue(event.total);
    if (event.terms.size() > 1) line += " (" + formatMetrics(event.terms) + ")";
    line += " lr " + format("%.4g", event.lr) + " " + format("%.0f", event.imagesPerSecond) + " img/s ETA " +
            formatDuration(event.etaSeconds);
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

}  // namespace distillery::cli
