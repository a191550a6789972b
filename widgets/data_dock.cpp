#include "widgets/data_dock.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "widgets/recipe_document.h"
#include "widgets/views/heatmap.h"

namespace distillery {

namespace {

constexpr int kPreviewCount = 24;
constexpr int kThumbnailSize = 72;
constexpr double kMaskAlpha = 0.5;

bool isSegmentationSet(const std::string& name) {
    return name == "fashion_scenes" || name == "seg_folder";
}

bool isDetectionSet(const std::string& name) {
    return name == "fashion_scenes_det" || name == "coco_json";
}

QString displayName(const QString& name) {
    if (name == "fashion_mnist") return DataDock::tr("Fashion-MNIST");
    if (name == "fashion_scenes") return DataDock::tr("Fashion-Scenes (segmentation)");
    if (name == "fashion_scenes_det") return DataDock::tr("Fashion-Scenes (detection)");
    if (name == "coco_json") return DataDock::tr("COCO instances JSON (detection)");
    if (name == "image_folder") return DataDock::tr("Image folder (classification)");
    if (name == "seg_folder") return DataDock::tr("Image and mask folder (segmentation)");
    if (name == "cifar10") return DataDock::tr("CIFAR-10");
    if (name == "cifar100") return DataDock::tr("CIFAR-100");
    return name;
}

TransformStep normalize(std::vector<float> mean, std::vector<float> std) {
    TransformStep t;
    t.kind = TransformStep::Kind::Normalize;
    t.mean = std::move(mean);
    t.std = std::move(std);
    return t;
}

TransformStep crop(int size, int padding) {
    TransformStep t;
    t.kind = TransformStep::Kind::RandomCrop;
    t.size = size;
    t.padding = padding;
    return t;
}

TransformStep hflip(double p) {
    TransformStep t;
    t.kind = TransformStep::Kind::HFlip;
    t.probability = p;
    return t;
}

/** The usual augmentation and normalisation of each data set, so switching sets keeps a recipe that runs. */
void setDefaultTransforms(Recipe& r) {
    const std::string& n = r.data.dataset;
    r.trainTransforms.clear();
    r.evalTransforms.clear();
    if (n == "fashion_mnist") {
        r.trainTransforms = {crop(28, 2), hflip(0.5), normalize({0.286f}, {0.353f})};
        r.evalTransforms = {normalize({0.286f}, {0.353f})};
    } else if (n == "fashion_scenes") {
        r.trainTransforms = {hflip(0.5), normalize({0.2f}, {0.35f})};
        r.evalTransforms = {normalize({0.2f}, {0.35f})};
    } else if (n == "fashion_scenes_det") {
        // Boxes follow the flip and the padded crop (resources/recipes/det_teacher.yaml).
        r.trainTransforms = {hflip(0.5), crop(64, 6), normalize({0.2f}, {0.35f})};
        r.evalTransforms = {normalize({0.2f}, {0.35f})};
    } else if (n == "cifar10" || n == "cifar100") {
        const bool ten = n == "cifar10";
        auto norm = ten ? normalize({0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f})
                        : normalize({0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f});
        r.trainTransforms = {crop(32, 4), hflip(0.5), norm};
        r.evalTransforms = {norm};
    } else {
        r.trainTransforms = {hflip(0.5)};
    }
}

QImage overlayMask(const QImage& image, const Mask& mask, bool skipBackground) {
    QImage out = image.convertToFormat(QImage::Format_RGB32);
    if (mask.height != out.height() || mask.width != out.width()) return out;
    for (int y = 0; y < out.height(); ++y) {
        auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < out.width(); ++x) {
            const int c = mask.data[static_cast<size_t>(y) * mask.width + x];
            if (c == 255 || (skipBackground && c == 0)) continue;
            const QRgb k = classColor(c), p = line[x];
            auto mix = [](int a, int b) { return static_cast<int>((1.0 - kMaskAlpha) * a + kMaskAlpha * b); };
            line[x] = qRgb(mix(qRed(p), qRed(k)), mix(qGreen(p), qGreen(k)), mix(qBlue(p), qBlue(k)));
        }
    }
    return out;
}

}  // namespace

DataDock::DataDock(RecipeDocument* document, QWidget* parent) : QDockWidget(parent), mDocument(document) {
    setObjectName("dataDock");
    setWindowTitle(tr("Data"));

    auto* body = new QWidget(this);
    mDataset = new QComboBox(body);
    for (const auto& name : datasetNames()) {
        const QString n = QString::fromStdString(name);
        mDataset->addItem(displayName(n), n);
    }
    mRoot = new QLineEdit(body);
    mRoot->setPlaceholderText(tr("default location"));
    mValRoot = new QLineEdit(body);
    mValRoot->setPlaceholderText(tr("split off the training folder"));
    mImageSize = new QSpinBox(body);
    mImageSize->setRange(0, 1024);
    mImageSize->setSpecialValueText(tr("keep"));
    mImageSize->setSuffix(tr(" px"));
    mImageChannels = new QComboBox(body);
    mImageChannels->addItem(tr("Colour (3 channels)"), 3);
    mImageChannels->addItem(tr("Grey (1 channel)"), 1);
    mCanvas = new QSpinBox(body);
    mCanvas->setRange(16, 512);
    mCanvas->setSuffix(tr(" px"));

    auto folderRow = [body, this](QLineEdit* edit, bool validation) {
        auto* row = new QHBoxLayout;
        row->setContentsMargins(0, 0, 0, 0);
        auto* browse = new QToolButton(body);
        browse->setText(tr("…"));
        browse->setToolTip(tr("Choose a folder"));
        connect(browse, &QToolButton::clicked, this, [this, validation] { browseRoot(validation); });
        row->addWidget(edit);
        row->addWidget(browse);
        return row;
    };

    // A form row whose field is a layout gets no buddy by itself, which would show the '&' literally.
    auto buddyLabel = [body](const QString& text, QWidget* buddy) {
        auto* label = new QLabel(text, body);
        label->setBuddy(buddy);
        return label;
    };
    mForm = new QFormLayout;
    mForm->addRow(tr("Data &set:"), mDataset);
    mForm->addRow(buddyLabel(tr("&Folder:"), mRoot), folderRow(mRoot, false));
    mForm->addRow(buddyLabel(tr("&Validation folder:"), mValRoot), folderRow(mValRoot, true));
    mForm->addRow(tr("&Image size:"), mImageSize);
    mForm->addRow(tr("&Channels:"), mImageChannels);
    mForm->addRow(tr("Scene &size:"), mCanvas);

    mSummary = new QLabel(body);
    mSummary->setWordWrap(true);
    mSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    mPreview = new QListWidget(body);
    mPreview->setObjectName("dataPreview");
    mPreview->setViewMode(QListView::IconMode);
    mPreview->setIconSize(QSize(kThumbnailSize, kThumbnailSize));
    // Wrapped labels in icon mode are cut to the icon's width ("An…"); one line in a wider cell fits
    // "Ankle boot" and keeps three columns in a narrow dock.
    mPreview->setGridSize(QSize(kThumbnailSize + 26, kThumbnailSize + 26));
    mPreview->setResizeMode(QListView::Adjust);
    mPreview->setMovement(QListView::Static);
    mPreview->setWordWrap(false);
    mPreview->setTextElideMode(Qt::ElideRight);
    mPreview->setSelectionMode(QAbstractItemView::NoSelection);

    mPrevious = new QPushButton(tr("&Previous"), body);
    mNext = new QPushButton(tr("&Next"), body);
    mPageLabel = new QLabel(body);
    connect(mPrevious, &QPushButton::clicked, this, [this] { showPage(-1); });
    connect(mNext, &QPushButton::clicked, this, [this] { showPage(+1); });
    auto* pager = new QHBoxLayout;
    pager->addWidget(mPrevious);
    pager->addWidget(mPageLabel, 1, Qt::AlignCenter);
    pager->addWidget(mNext);

    auto* layout = new QVBoxLayout(body);
    layout->addLayout(mForm);
    layout->addWidget(mSummary);
    layout->addWidget(mPreview, 1);
    layout->addLayout(pager);
    setWidget(body);

    mReloadTimer = new QTimer(this);
    mReloadTimer->setSingleShot(true);
    mReloadTimer->setInterval(150);  // typing a path reloads once, not per key
    connect(mReloadTimer, &QTimer::timeout, this, &DataDock::reload);
    connect(&mWatcher, &QFutureWatcher<Preview>::finished, this, &DataDock::showPreview);

    connect(mDataset, &QComboBox::activated, this,
            [this](int i) { selectDataset(mDataset->itemData(i).toString()); });
    connect(mRoot, &QLineEdit::editingFinished, this, [this] { setRoot(mRoot->text()); });
    connect(mValRoot, &QLineEdit::editingFinished, this, [this] {
        const QString text = mValRoot->text().trimmed();
        const std::string path =
            text.isEmpty() ? std::string() : QFileInfo(text).absoluteFilePath().toStdString();
        mDocument->edit(tr("Change validation folder"), [&](Recipe& r) { r.data.valRoot = path; });
    });
    connect(mImageSize, &QSpinBox::valueChanged, this, [this](int v) {
        if (!mSyncing)
            mDocument->edit(
                tr("Change image size"), [v](Recipe& r) { r.data.imageSize = v; }, "data.image_size");
    });
    connect(mImageChannels, &QComboBox::activated, this, [this](int i) {
        const int c = mImageChannels->itemData(i).toInt();
        mDocument->edit(tr("Change image channels"), [c](Recipe& r) { r.data.imageChannels = c; });
    });
    connect(mCanvas, &QSpinBox::valueChanged, this, [this](int v) {
        if (!mSyncing)
            mDocument->edit(
                tr("Change scene size"), [v](Recipe& r) { r.data.canvas = v; }, "data.canvas");
    });
    connect(mDocument, &RecipeDocument::changed, this, &DataDock::syncFromDocument);
    syncFromDocument();
}

DataDock::~DataDock() {
    mWatcher.waitForFinished();
}

int DataDock::previewCount() const {
    return mPreview->count();
}

QString DataDock::previewLabel(int i) const {
    return i >= 0 && i < mPreview->count() ? mPreview->item(i)->text() : QString();
}

void DataDock::selectDataset(const QString& name) {
    const std::string n = name.toStdString();
    mDocument->edit(tr("Change data set to %1").arg(displayName(name)), [&](Recipe& r) {
        if (r.data.dataset == n) return;
        r.data.dataset = n;
        r.data.root.clear();
        r.data.valRoot.clear();
        setDefaultTransforms(r);
        // Classification, segmentation and detection models differ by their head; keep the recipe runnable.
        const bool seg = isSegmentationSet(n), det = isDetectionSet(n);
        for (ModelSpec* m : {&r.student, &r.teacher.model}) {
            if (seg && (m->head.empty() || m->head == "centernet") && !m->arch.empty()) m->head = "fcn";
            if (det && !m->arch.empty()) m->head = "centernet";
            if (!seg && !det) m->head.clear();
        }
    });
}

void DataDock::setRoot(const QString& root) {
    const QString text = root.trimmed();
    const std::string path =
        text.isEmpty() ? std::string() : QFileInfo(text).absoluteFilePath().toStdString();
    mDocument->edit(tr("Change data folder"), [&](Recipe& r) { r.data.root = path; });
    syncFromDocument();
}

void DataDock::browseRoot(bool validation) {
    QLineEdit* edit = validation ? mValRoot : mRoot;
    const QString dir = QFileDialog::getExistingDirectory(
        this, validation ? tr("Validation folder") : tr("Data folder"), edit->text());
    if (dir.isEmpty()) return;
    edit->setText(dir);
    Q_EMIT edit->editingFinished();
}

void DataDock::syncFromDocument() {
    const DataConfig& d = mDocument->recipe().data;
    mSyncing = true;
    mDataset->setCurrentIndex(std::max(0, mDataset->findData(QString::fromStdString(d.dataset))));
    if (!mRoot->hasFocus()) mRoot->setText(QString::fromStdString(d.root));
    if (!mValRoot->hasFocus()) mValRoot->setText(QString::fromStdString(d.valRoot));
    mImageSize->setValue(d.imageSize);
    mImageChannels->setCurrentIndex(std::max(0, mImageChannels->findData(d.imageChannels)));
    mCanvas->setValue(d.canvas);
    mSyncing = false;
    updateKnobs();
    if (configKey() != mLoadedKey) {
        mFirst = 0;
        scheduleReload();
        return;
    }
    // Same data; only the eval resize may change what the models see.
    DatasetInfo info = mInfo;
    if (mTrain) {
        info.height = mTrain->height();
        info.width = mTrain->width();
    }
    for (const auto& t : mDocument->recipe().evalTransforms) {
        if (t.kind != TransformStep::Kind::Resize) continue;
        info.height = t.size > 0 ? t.size : t.height;
        info.width = t.size > 0 ? t.size : t.width;
    }
    if (info.height != mInfo.height || info.width != mInfo.width) {
        mInfo = info;
        Q_EMIT datasetInfoChanged();
    }
}

void DataDock::updateKnobs() {
    const QString n = mDataset->currentData().toString();
    const bool folder = n == "image_folder" || n == "seg_folder" || n == "coco_json";
    // Rows: data set, folder, validation folder, image size, channels, scene size.
    mForm->setRowVisible(2, folder);
    mForm->setRowVisible(3, folder);
    mForm->setRowVisible(4, folder);
    mForm->setRowVisible(5, n == "fashion_scenes" || n == "fashion_scenes_det");
}

QString DataDock::configKey() const {
    const DataConfig& d = mDocument->recipe().data;
    QStringList parts{QString::fromStdString(d.dataset), QString::fromStdString(d.root),
                      QString::fromStdString(d.valRoot)};
    for (double v : {double(d.canvas), double(d.minItems), double(d.maxItems), d.minScale, d.maxScale,
                     double(d.trainScenes), double(d.valScenes), double(d.sceneSeed), double(d.imageSize),
                     double(d.imageChannels), d.valFraction, double(d.numClasses)})
        parts << QString::number(v, 'g', 17);
    for (const auto& c : d.classNames)
        parts << QString::fromStdString(c);
    return parts.join('\x1f');
}

void DataDock::scheduleReload() {
    mReloadPending = true;
    mReloadTimer->start();
}

void DataDock::reload() {
    if (mWatcher.isRunning()) {
        mReloadPending = true;
        return;
    }
    mReloadPending = false;
    const QString key = configKey();
    DataConfig config = mDocument->recipe().data;
    config.subset = 0;  // the preview shows the data set itself
    std::shared_ptr<Dataset> cached = key == mLoadedKey ? mTrain : nullptr;
    if (!cached) mSummary->setText(tr("Opening the data set…"));
    const int generation = ++mGeneration;
    const int first = mFirst;
    mWatcher.setFuture(QtConcurrent::run(
        [=] { return loadPreview(generation, key, config, cached, first, kPreviewCount); }));
}

DataDock::Preview DataDock::loadPreview(int generation, QString key, DataConfig config,
                                        std::shared_ptr<Dataset> cached, int first, int count) {
    Preview p;
    p.generation = generation;
    p.key = key;
    try {
        p.train = cached ? cached : openDataset(config, Split::Train);
        DatasetInfo& info = p.info;
        info.valid = true;
        info.task = p.train->task();
        info.channels = p.train->channels();
        info.height = p.train->height();
        info.width = p.train->width();
        info.numClasses = p.train->numClasses();
        info.trainSize = p.train->size();
        if (!cached) info.valSize = openDataset(config, Split::Val)->size();
        for (const auto& c : p.train->classNames())
            info.classNames << QString::fromStdString(c);
        const bool skipBackground = !info.classNames.isEmpty() && info.classNames.front() == "background";
        for (int64_t i = first; i < std::min<int64_t>(first + count, p.train->size()); ++i) {
            const Sample s = p.train->get(i);
            QImage image = sampleToImage(s.image);
            QString label, tooltip;
            if (info.task == Task::Detection) {
                // Each object's box in its class colour on a 4× image, so thin boxes stay visible.
                image = boxesToImage(s.image, s.boxes, {}, 0.0, info.classNames, 4);
                QStringList names;
                for (const Box& b : s.boxes)
                    if (b.label >= 0 && b.label < info.classNames.size() &&
                        !names.contains(info.classNames[static_cast<int>(b.label)]))
                        names << info.classNames[static_cast<int>(b.label)];
                label = names.join(", ");
            } else if (info.task == Task::Segmentation) {
                image = overlayMask(image, s.mask, skipBackground);
                std::vector<bool> present(256, false);
                for (uint8_t c : s.mask.data)
                    present[c] = true;
                QStringList names;
                for (int c = skipBackground ? 1 : 0; c < info.classNames.size(); ++c)
                    if (present[c]) names << info.classNames[c];
                label = names.join(", ");
            } else if (s.label >= 0 && s.label < info.classNames.size()) {
                label = info.classNames[static_cast<int>(s.label)];
            } else {
                label = QString::number(s.label);
            }
            tooltip = tr("Sample %1: %2").arg(i).arg(label);
            const int scale = std::max(1, kThumbnailSize / std::max(image.width(), image.height()));
            p.images << image.scaled(image.width() * scale, image.height() * scale, Qt::KeepAspectRatio,
                                     Qt::FastTransformation);
            p.labels << label;
            p.tooltips << tooltip;
        }
    } catch (const std::exception& e) {
        p.info.valid = false;
        p.info.error = QString::fromStdString(e.what());
    }
    return p;
}

void DataDock::showPreview() {
    Preview p = mWatcher.result();
    if (p.generation == mGeneration) {
        const bool newData = p.key != mLoadedKey || !mInfo.valid;
        const qint64 valSize = newData ? p.info.valSize : mInfo.valSize;
        mLoadedKey = p.key;
        mTrain = p.train;
        mInfo = p.info;
        mInfo.valSize = valSize;
        for (const auto& t : mDocument->recipe().evalTransforms) {
            if (t.kind != TransformStep::Kind::Resize) continue;
            mInfo.height = t.size > 0 ? t.size : t.height;
            mInfo.width = t.size > 0 ? t.size : t.width;
        }
        mPreview->clear();
        for (int i = 0; i < p.images.size(); ++i) {
            auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(p.images[i])), p.labels[i], mPreview);
            item->setToolTip(p.tooltips[i]);
        }
        if (mInfo.valid) {
            const QString task = mInfo.task == Task::Segmentation ? tr("segmentation")
                                 : mInfo.task == Task::Detection  ? tr("detection")
                                                                  : tr("classification");
            mSummary->setText(tr("%1 · %2 training / %3 validation samples · %4×%5×%6 · %7 classes")
                                  .arg(task)
                                  .arg(mInfo.trainSize)
                                  .arg(mInfo.valSize)
                                  .arg(mTrain->channels())
                                  .arg(mTrain->height())
                                  .arg(mTrain->width())
                                  .arg(mInfo.numClasses));
            mSummary->setStyleSheet({});
            const int last = std::min<qint64>(mFirst + kPreviewCount, mInfo.trainSize);
            mPageLabel->setText(tr("samples %1–%2 of %3").arg(mFirst + 1).arg(last).arg(mInfo.trainSize));
        } else {
            mSummary->setText(mInfo.error);
            mSummary->setStyleSheet("color: #b00020;");
            mPageLabel->clear();
        }
        mPrevious->setEnabled(mInfo.valid && mFirst > 0);
        mNext->setEnabled(mInfo.valid && mFirst + kPreviewCount < mInfo.trainSize);
        if (newData) Q_EMIT datasetInfoChanged();
    }
    if (mReloadPending && !mReloadTimer->isActive()) reload();
    if (!isLoading()) Q_EMIT previewReady();
}

void DataDock::showPage(int delta) {
    mFirst = std::max(0, mFirst + delta * kPreviewCount);
    reload();
}

}  // namespace distillery
