#pragma once
// The Quantize & Export page: a trained fp32 student's per-layer bit widths (edited by hand or fitted to a
// size / BOPs budget from measured sensitivity) with live size and BOPs, post-training quantization
// (calibration) and quantization-aware training, a table comparing teacher, fp32 student and the quantized
// runs, and ONNX export. Everything that touches a model or reads a report or summary runs off the GUI
// thread, each task with its own continuation; the cost arithmetic (quantCost) runs on it, on every edit.
// The tables are models of their own (quant_layers_model.h, quant_comparison_model.h).

#include <QString>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <vector>

#include "core/quantize.h"
#include "core/recipe.h"
#include "widgets/project.h"
#include "widgets/quant_comparison_model.h"
#include "widgets/quant_layers_model.h"
#include "widgets/quant_run_scan.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;

namespace distillery {

class BackgroundWork;

class QuantizePage : public QWidget {
    Q_OBJECT

public:
    /** Work the page is busy with, off the GUI thread, one at a time (re-reading the runs is not one). */
    enum class Task { None, Layers, Sensitivity, Calibrate, Qat, Export };
    Q_ENUM(Task)

    /** Starts a QAT recipe as a run of the window (curves, pause and stop as for any run); false + *error
     *  when it cannot start. */
    using QatLauncher = std::function<bool(const Recipe& recipe, QString* error)>;

    explicit QuantizePage(QWidget* parent = nullptr);
    ~QuantizePage() override;

    /** Quantized runs go to the project's runs/ folder; the source list and the comparison read it. */
    void setProject(const Project& project);
    void setQatLauncher(QatLauncher launcher) { mQatLauncher = std::move(launcher); }
    /** While a training runs, QAT cannot start (calibration and export can). */
    void setTrainingActive(bool active);
    /** Threads for calibration, sensitivity and export (0 = the source run's recipe setting). */
    void setThreads(int threads) { mThreads = threads; }

    /**
     * Takes a trained fp32 run as the source and loads its layer table off the GUI thread (layersLoaded or
     * an error follows). False, with the reason shown, when the folder is not a trained fp32 run: no
     * recipe, no checkpoint, or already quantized.
     */
    bool setSourceRun(const QString& runDir);
    QString sourceRun() const { return mSource; }
    // Whether a folder can be a source, and where a quantized run came from: quant_run_scan.h.
    /** The source's student recipe, once its layers are loaded. */
    const Recipe& sourceRecipe() const { return mSourceRecipe; }

    // ---- bit widths (GUI thread, instant) ----
    const std::vector<QuantLayer>& layers() const;
    /** 8, 6, 4, 2 or 0 (float) for one layer; false + error shown for an unknown layer or width. */
    bool setLayerBits(const QString& layer, int bits);
    void setAllWeightBits(int bits);
    QuantCost cost() const;
    QuantCost fp32Cost() const;
    /** The totals read-out as shown ("Size … of … fp32 …"). */
    QString totalsText() const;
    /** The QuantSpec the page's controls and table describe (what calibration and QAT use). */
    QuantSpec spec() const;

    // ---- budget ----
    /** Parses budget text ("size=40KB", "bops=800M") into the kind and slider; false + error when bad. */
    bool setBudgetText(const QString& text);
    QString budgetText() const;
    /** Slider position 0..1000 between the all-2-bit and the all-8-bit cost of the budget's kind. */
    void setBudgetSlider(int position);
    QString budgetReadout() const;
    /** Fills the bit widths from sensitivity under the budget; false + error (e.g. below the minimum). */
    bool fitToBudget();

    // ---- work off the GUI thread; each emits taskFinished ----
    bool measureSensitivity();
    /** PTQ of the source into a new run folder under the project's runs/. */
    bool calibrate();
    /** Starts QAT through the launcher with the page's teacher mode, epochs and lr. */
    bool startQat();
    /** Writes `file` (format "onnx" or "onnx-int8") and its card from a run; int8 needs a quantized run.
     *  `width` > 0 exports that width of a once-QAT run: it is first taken out into the run folder
     *  RUN-wN (kept, and reused by later exports). */
    bool exportRun(const QString& runDir, const QString& format, const QString& file, int width = 0);
    /** QAT trains one model for these widths (once-QAT, top first); empty: the layer table's widths. */
    void setQatWidths(const std::vector<int>& widths);
    std::vector<int> qatWidths() const;
    void setEvalSubset(int samples);
    void setCalibrationBatches(int batches);
    void setVerifyExport(bool verify);
    bool isBusy() const { return mTask != Task::None; }

    // ---- comparison ----
    /** Re-reads the project's runs off the GUI thread: the source list and the comparison (the teacher's,
     *  the source's and the quantized runs' reports); comparisonUpdated follows. */
    void refresh();
    /** A QAT run started from the page ended (`status` as in RunSummary): its row and a message, once its
     *  report is read (comparisonUpdated follows). */
    void qatFinished(const QString& runDir, RunStatus status);
    int comparisonRowCount() const;
    /** Display text of a cell, in display (sorted) order. */
    QString comparisonText(int row, QuantComparisonModel::Column column) const;
    QString comparisonRunDir(int row) const;
    /** The width a once-QAT row shows (0 for other rows), in display order. */
    int comparisonWidth(int row) const;
    void selectComparisonRun(const QString& runDir);

    /** The last message shown under the page; `messageIsError` says whether it was an error. */
    QString message() const { return mMessageText; }
    bool messageIsError() const { return mMessageError; }
    QuantLayersModel* layerModel() const { return mLayers; }
    QuantComparisonModel* comparisonModel() const { return mCompare; }
    QTableView* layerTable() const { return mLayerTable; }
    QTableView* comparisonTable() const { return mCompareTable; }

Q_SIGNALS:
    void layersLoaded();
    /** The source list and the comparison were re-read and are shown. */
    void comparisonUpdated();
    void taskFinished(distillery::QuantizePage::Task task, bool ok);
    /** A quantized run folder was written (the window refreshes its runs table). */
    void runCreated(const QString& runDir);
    void exported(const QString& file, const QString& cardFile);
    /** For the status bar and the log. */
    void statusMessage(const QString& text);
    void errorOccurred(const QString& text);

private:
    /** What a re-read of the project's runs found (off the GUI thread). */
    struct Scan {
        std::vector<QuantSource> sources;
        QuantComparison comparison;
    };

    QWidget* buildLayersBox();
    QWidget* buildBudgetBox();
    QWidget* buildCalibrationBox();
    QWidget* buildQatBox();
    QWidget* buildComparisonBox();

    /**
     * Runs `work` off the GUI thread as the page's one task (progress in the footer), then `done` with its
     * result on the GUI thread (its return value: whether the task succeeded) or `failed` with the error.
     */
    template <typename R>
    bool startTask(Task task, const QString& label, std::function<R(const ProgressFn& progress)> work,
                   std::function<bool(R& result)> done, std::function<void(const QString& error)> failed);
    void finishTask(Task task, bool ok);
    /** Reads the source list and the comparison of `source` (thread-safe: copies only). */
    static Scan readScan(const QString& runsDir, const QString& source, const Recipe& sourceRecipe,
                         const QuantCost& fp32Cost);
    /** Re-reads the runs off the GUI thread; `then` runs once they are shown. Only the newest read is
     *  shown. */
    void rescan(std::function<void()> then = {});
    /** Shows a read: the source list, and the comparison when it is of the current source. */
    void applyScan(Scan scan);
    void onProgress(const QString& text, double fraction);
    void showMessage(const QString& text, bool error = false);
    void showError(const QString& text) { showMessage(text, true); }
    void showSourceInfo(const QuantComparison& comparison);
    void updateTotals();
    void updateBudgetRange();
    void updateBudgetReadout();
    void updateButtons();
    void showSources();
    void exportSelected(const QString& format);
    int effectiveThreads() const;
    QString runsDir() const;

    Project mProject;
    QString mSource;
    Recipe mSourceRecipe;
    QatLauncher mQatLauncher;
    int mThreads = 0;
    bool mTrainingActive = false;
    bool mSyncing = false;

    // source
    QComboBox* mSourceCombo = nullptr;
    QPushButton* mBrowse = nullptr;
    QLabel* mSourceInfo = nullptr;
    std::vector<QuantSource> mSources;  // as last read
    // layers
    QuantLayersModel* mLayers = nullptr;
    QTableView* mLayerTable = nullptr;
    QComboBox* mAllBits = nullptr;
    QLabel* mTotals = nullptr;
    // budget
    QComboBox* mBudgetKind = nullptr;
    QSlider* mBudgetSlider = nullptr;
    QLineEdit* mBudgetEdit = nullptr;
    QLabel* mBudgetReadout = nullptr;
    QPushButton* mMeasure = nullptr;
    QPushButton* mFit = nullptr;
    double mBudgetMin = 0.0;  // all weights at 2 bit, of the budget's kind
    double mBudgetMax = 0.0;  // all weights at 8 bit
    double mBudgetValue = 0.0;
    // calibration
    QComboBox* mObserver = nullptr;
    QDoubleSpinBox* mPercentile = nullptr;
    QSpinBox* mCalibBatches = nullptr;
    QSpinBox* mEvalSubset = nullptr;
    QCheckBox* mRealInt8 = nullptr;
    QPushButton* mCalibrate = nullptr;
    // QAT
    QComboBox* mQatTeacher = nullptr;
    QSpinBox* mQatEpochs = nullptr;
    QDoubleSpinBox* mQatLr = nullptr;
    QCheckBox* mQatLsq = nullptr;
    QComboBox* mQatWidths = nullptr;
    QPushButton* mQat = nullptr;
    // comparison and export
    QuantComparisonModel* mCompare = nullptr;
    QSortFilterProxyModel* mCompareProxy = nullptr;
    QTableView* mCompareTable = nullptr;
    QPushButton* mExportFp32 = nullptr;
    QPushButton* mExportInt8 = nullptr;
    QCheckBox* mVerify = nullptr;
    // progress
    QProgressBar* mProgress = nullptr;
    QLabel* mMessage = nullptr;
    QString mMessageText;
    bool mMessageError = false;

    Task mTask = Task::None;
    BackgroundWork* mWork = nullptr;
    int mScanSerial = 0;  // reads of the runs started (or shown by a task); only the newest is shown
    std::vector<std::function<void()>> mAfterScan;  // continuations of rescan, run when a read is shown
};

}  // namespace distillery
