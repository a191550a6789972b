#include "widgets/views/generated_images_view.h"

#include <QCheckBox>
#include <QDir>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <cmath>

namespace distillery {

namespace {

QImage toImage(const Image& img) {
    QImage out(img.width, img.height, QImage::Format_RGB32);
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
            auto v = [&](int c) {
                return static_cast<int>(std::lround(std::clamp(img.at(c, y, x), 0.f, 1.f) * 255.f));
            };
            const int r = v(0), g = img.channels == 3 ? v(1) : r, b = img.channels == 3 ? v(2) : r;
            out.setPixel(x, y, qRgb(r, g, b));
        }
    return out;
}

}  // namespace

/** Rows of generated images, one per class, the class name on the left. */
class GeneratedGrid : public QWidget {
public:
    explicit GeneratedGrid(QWidget* parent) : QWidget(parent) { setMouseTracking(true); }

    void setImages(const GeneratedImages* images, bool mismatchOnly) {
        mImages = images;
        mMismatchOnly = mismatchOnly;
        mTiles.clear();
        mRows = 0;
        if (images) {
            mRows = static_cast<int>(images->classNames.size());
            for (size_t i = 0; i < images->samples.size(); ++i) {
                const bool mismatch = images->teacherLabels[i] != images->samples[i].label;
                if (mismatchOnly && !mismatch) continue;
                mTiles.push_back({static_cast<int>(i), toImage(images->samples[i].image)});
            }
        }
        updateGeometry();
        setMinimumHeight(mRows * rowHeight() + 4);
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.fillRect(rect(), palette().base());
        if (!mImages || mImages->samples.empty()) {
            p.drawText(rect(), Qt::AlignCenter, GeneratedImagesView::tr("No generated images."));
            return;
        }
        const int cell = cellSize();
        std::vector<int> column(static_cast<size_t>(mRows), 0);
        for (int r = 0; r < mRows; ++r) {
            const QRect label(0, r * rowHeight(), kLabelW - 6, rowHeight());
            p.setPen(palette().text().color());
            p.drawText(label, Qt::AlignRight | Qt::AlignVCenter,
                       QString::fromStdString(mImages->classNames[static_cast<size_t>(r)]));
        }
        for (const auto& t : mTiles) {
            const auto& s = mImages->samples[static_cast<size_t>(t.index)];
            const int row = static_cast<int>(s.label);
            const QRect target = tileRect(row, column[static_cast<size_t>(row)]++, cell);
            p.drawImage(target, t.image);
            if (mImages->teacherLabels[static_cast<size_t>(t.index)] != s.label) {
                p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
                p.drawRect(target.adjusted(1, 1, -1, -1));
            }
        }
    }

    void mouseMoveEvent(QMouseEvent* e) override {
        if (!mImages) return;
        const int cell = cellSize();
        std::vector<int> column(static_cast<size_t>(mRows), 0);
        for (const auto& t : mTiles) {
            const auto& s = mImages->samples[static_cast<size_t>(t.index)];
            const int row = static_cast<int>(s.label);
            if (tileRect(row, column[static_cast<size_t>(row)]++, cell).contains(e->position().toPoint())) {
                auto name = [&](int64_t c) {
                    return c >= 0 && c < static_cast<int64_t>(mImages->classNames.size())
                               ? QString::fromStdString(mImages->classNames[static_cast<size_t>(c)])
                               : QString::number(c);
                };
                QToolTip::showText(
                    e->globalPosition().toPoint(),
                    GeneratedImagesView::tr("asked for: %1\nteacher: %2\nstudent: %3")
                        .arg(name(s.label), name(mImages->teacherLabels[static_cast<size_t>(t.index)]),
                             name(mImages->studentLabels[static_cast<size_t>(t.index)])),
                    this);
                return;
            }
        }
        QToolTip::hideText();
    }

    void resizeEvent(QResizeEvent*) override { setMinimumHeight(mRows * rowHeight() + 4); }

private:
    static constexpr int kLabelW = 110, kGap = 3;
    struct Tile {
        int index;
        QImage image;
    };
    int perRow() const {
        if (!mImages || mRows == 0) return 1;
        return std::max<int>(1, static_cast<int>(mImages->samples.size()) / mRows);
    }
    int cellSize() const { return std::clamp((width() - kLabelW - perRow() * kGap) / perRow(), 28, 96); }
    int rowHeight() const { return cellSize() + kGap; }
    QRect tileRect(int row, int col, int cell) const {
        return QRect(kLabelW + col * (cell + kGap), row * (cell + kGap), cell, cell);
    }
    const GeneratedImages* mImages = nullptr;
    bool mMismatchOnly = false;
    std::vector<Tile> mTiles;
    int mRows = 0;
};

GeneratedImagesView::GeneratedImagesView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    mSummary = new QLabel(tr("Select a data-free run to see the images its student learned from."), this);
    mSummary->setWordWrap(true);
    mSummary->setTextFormat(Qt::RichText);
    top->addWidget(mSummary, 1);
    auto* buttons = new QVBoxLayout;
    mRedraw = new QPushButton(tr("New images"), this);
    mRedraw->setToolTip(tr("Draw other latent codes from the same generator"));
    mRedraw->setEnabled(false);
    mMismatchOnly = new QCheckBox(tr("Teacher disagrees only"), this);
    mMismatchOnly->setToolTip(tr("Only the images the teacher sees as another class than the one asked for"));
    buttons->addWidget(mRedraw);
    buttons->addWidget(mMismatchOnly);
    buttons->addStretch(1);
    top->addLayout(buttons);
    layout->addLayout(top);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mGrid = new GeneratedGrid(scroll);
    scroll->setWidget(mGrid);
    layout->addWidget(scroll, 1);
    connect(&mWatcher, &QFutureWatcher<Outcome>::finished, this, &GeneratedImagesView::onFinished);
    connect(mRedraw, &QPushButton::clicked, this, [this] {
        ++mSeed;
        start();
    });
    connect(mMismatchOnly, &QCheckBox::toggled, this,
            [this](bool on) { mGrid->setImages(mImages.samples.empty() ? nullptr : &mImages, on); });
}

GeneratedImagesView::~GeneratedImagesView() {
    mWatcher.disconnect();
    mWatcher.waitForFinished();
}

void GeneratedImagesView::showRun(const QString& runDir) {
    mRunDir = runDir;
    mSeed = 1;
    start();
}

void GeneratedImagesView::start() {
    const quint64 generation = ++mGeneration;
    mRedraw->setEnabled(false);
    mSummary->setText(tr("Generating images with the generator of %1…")
                          .arg(QDir::toNativeSeparators(mRunDir).toHtmlEscaped()));
    const std::string dir = mRunDir.toStdString();
    const int perClass = mPerClass;
    const uint64_t seed = mSeed;
    mWatcher.setFuture(QtConcurrent::run([dir, perClass, seed, generation]() {
        Outcome o;
        o.generation = generation;
        try {
            auto both = generateImagesBeforeAfter(dir, perClass, seed);
            o.trained = std::move(both.trained);
            o.initial = std::move(both.initial);
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        return o;
    }));
}

void GeneratedImagesView::onFinished() {
    const Outcome o = mWatcher.result();
    if (o.generation != mGeneration) return;  // superseded
    mRedraw->setEnabled(!mRunDir.isEmpty());
    if (!o.error.isEmpty()) {
        mSummary->setText(
            tr("<span style='color:#b00020'>No generated images: %1</span>").arg(o.error.toHtmlEscaped()));
        Q_EMIT errorOccurred(o.error);
        return;
    }
    setImages(o.trained, &o.initial);
    Q_EMIT ready();
}

void GeneratedImagesView::setImages(const GeneratedImages& images, const GeneratedImages* initial) {
    mImages = images;
    QString text =
        tr("<b>%1 generated images</b> — the student never saw a training image, only these. The teacher "
           "sees the class asked for in <b>%2 %</b> (red frame: another class); the student agrees with the "
           "teacher on <b>%3 %</b>.<br>Batch statistics against the teacher's training data, in units of "
           "its spread (0 = the same): mean <b>%4</b>, log-variance <b>%5</b>")
            .arg(images.samples.size())
            .arg(100.0 * images.teacherAgreement, 0, 'f', 1)
            .arg(100.0 * images.studentAgreement, 0, 'f', 1)
            .arg(images.meanGap, 0, 'f', 3)
            .arg(images.logVarGap, 0, 'f', 3);
    if (initial)
        text += tr(" (untrained generator: %1 and %2; teacher sees the class asked for in %3 %)")
                    .arg(initial->meanGap, 0, 'f', 3)
                    .arg(initial->logVarGap, 0, 'f', 3)
                    .arg(100.0 * initial->teacherAgreement, 0, 'f', 1);
    mSummary->setText(text + ".");
    mGrid->setImages(&mImages, mMismatchOnly->isChecked());
}

void GeneratedImagesView::clear() {
    ++mGeneration;
    mRunDir.clear();
    mImages = {};
    mRedraw->setEnabled(false);
    mGrid->setImages(nullptr, false);
    mSummary->setText(tr("Select a data-free run to see the images its student learned from."));
}

QString GeneratedImagesView::summaryText() const {
    return mSummary->text();
}

}  // namespace distillery
