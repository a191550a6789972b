#pragma once
// The data set of the recipe: which one, where it lives, and a preview grid of its samples and labels.

#include <QDockWidget>
#include <QFutureWatcher>
#include <QImage>
#include <QStringList>
#include <memory>

#include "core/dataset.h"

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTimer;

namespace distillery {

class RecipeDocument;

/** What the models need to know about the data: task, input shape, classes. */
struct DatasetInfo {
    bool valid = false;
    QString error;
    Task task = Task::Classification;
    int channels = 1;
    int height = 28;  // as the model sees it (after an eval resize)
    int width = 28;
    int numClasses = 10;
    qint64 trainSize = 0;
    qint64 valSize = 0;
    QStringList classNames;
};

class DataDock : public QDockWidget {
    Q_OBJECT

public:
    explicit DataDock(RecipeDocument* document, QWidget* parent = nullptr);
    ~DataDock() override;

    const DatasetInfo& info() const { return mInfo; }
    bool isLoading() const { return mWatcher.isRunning() || mReloadPending; }
    /** Number of sample tiles in the preview, and the label under one (for tests). */
    int previewCount() const;
    QString previewLabel(int i) const;

    /** Picks a data set by name as the user would (one undoable edit, with matching transforms). */
    void selectDataset(const QString& name);
    void setRoot(const QString& root);

Q_SIGNALS:
    void datasetInfoChanged();
    void previewReady();

private:
    struct Preview {
        int generation = 0;
        QString key;
        std::shared_ptr<Dataset> train;
        DatasetInfo info;
        QList<QImage> images;
        QStringList labels;
        QStringList tooltips;
    };

    void syncFromDocument();
    void scheduleReload();
    void reload();
    void showPreview();
    void browseRoot(bool validation);
    void updateKnobs();
    void showPage(int delta);
    QString configKey() const;
    static Preview loadPreview(int generation, QString key, DataConfig config,
                               std::shared_ptr<Dataset> cached, int first, int count);

    RecipeDocument* mDocument;
    QComboBox* mDataset;
    QLineEdit* mRoot;
    QLineEdit* mValRoot;
    QSpinBox* mImageSize;
    QComboBox* mImageChannels;
    QSpinBox* mCanvas;
    QFormLayout* mForm;
    QLabel* mSummary;
    QListWidget* mPreview;
    QPushButton* mPrevious;
    QPushButton* mNext;
    QLabel* mPageLabel;
    QTimer* mReloadTimer;
    QFutureWatcher<Preview> mWatcher;
    DatasetInfo mInfo;
    std::shared_ptr<Dataset> mTrain;
    QString mLoadedKey;
    int mGeneration = 0;
    int mFirst = 0;
    bool mReloadPending = false;
    bool mSyncing = false;
};

}  // namespace distillery
