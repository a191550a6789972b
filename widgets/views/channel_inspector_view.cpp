#include "widgets/views/channel_inspector_view.h"

#include "core/detection.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "widgets/views/channel_math.h"
#include "widgets/views/heatmap.h"

namespace distillery {

/** Paints the teacher and student atlases as tile rows: each student tile sits right under its teacher tile.
 */
class ChannelGrid : public QWidget {
public:
    explicit ChannelGrid(QWidget* parent) : QWidget(parent) {
        setMouseTracking(false);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
        QFont small = font();
        small.setPointSizeF(small.pointSizeF() * 0.8);
        mSmall = small;
    }

    void setContent(const QImage& teacher, const QImage& student, int channels, int planeH, int planeW,
                    const QVector<bool>& teacherConstant, const QVector<bool>& studentConstant) {
        mTeacher = teacher;
        mStudent = student;
        mChannels = channels;
        mPlaneH = std::max(planeH, 1);
        mPlaneW = std::max(planeW, 1);
        mTeacherConstant = teacherConstant;
        mStudentConstant = studentConstant;
        updateHeight();
        update();
    }
    void setEmptyText(const QString& text) {
        mEmptyText = text;
        update();
    }
    void setTileSize(int px) {
        mTileSize = std::max(8, px);
        updateHeight();
        update();
    }
    void setSelected(int channel) {
        mSelected = channel;
        update();
    }
    void setTooltipProvider(std::function<QString(int)> f) { mTooltip = std::move(f); }
    std::function<void(int)> onClicked;

    bool hasTeacher() const { return !mTeacher.isNull(); }
    QSize sizeHint() const override { return {480, 320}; }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.fillRect(rect(), palette().base());
        if (mChannels <= 0 || mStudent.isNull()) {
            p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
            p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, mEmptyText);
            return;
        }
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);  // crisp, nearest-neighbour pixels
        const int cols = columns();
        const QSize tile = tileSize();
        p.setFont(mSmall);
        const QFontMetrics fm(mSmall);
        const int labelEvery = tile.width() >= fm.horizontalAdvance(QStringLiteral("000")) + 2 ? 1 : 4;
        for (int block = 0; block * cols < mChannels; ++block) {
            const int first = block * cols;
            const int top = blockTop(block);
            p.setPen(palette().color(QPalette::Text));
            const int rows = hasTeacher() ? 2 : 1;
            for (int r = 0; r < rows; ++r) {
                const bool teacher = hasTeacher() && r == 0;
                const QRect labelRect(0, top + indexHeight() + r * (tile.height() + kGap), kLeftMargin - 6,
                                      tile.height());
                p.drawText(
                    labelRect, Qt::AlignRight | Qt::AlignVCenter,
                    teacher ? ChannelInspectorView::tr("teacher") : ChannelInspectorView::tr("student"));
            }
            for (int c = first; c < std::min(first + cols, mChannels); ++c) {
                const QRect t = tileRect(c, true);
                if (c % labelEvery == 0) {
                    p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
                    p.drawText(QRect(t.left(), top, t.width() + 20, indexHeight()),
                               Qt::AlignLeft | Qt::AlignBottom, QString::number(c));
                }
                if (hasTeacher()) drawTile(p, mTeacher, c, t, mTeacherConstant.value(c));
                drawTile(p, mStudent, c, tileRect(c, false), mStudentConstant.value(c));
            }
        }
        if (mSelected >= 0 && mSelected < mChannels) {
            QRect frame = tileRect(mSelected, false);
            if (hasTeacher()) frame = frame.united(tileRect(mSelected, true));
            p.setPen(QPen(QColor(0xff7f0e), 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(frame.adjusted(-2, -2, 1, 1));
        }
    }
    void resizeEvent(QResizeEvent* e) override {
        QWidget::resizeEvent(e);
        updateHeight();
    }
    void mousePressEvent(QMouseEvent* e) override {
        const int c = channelAt(e->position().toPoint());
        if (c >= 0 && onClicked) onClicked(c);
    }
    bool event(QEvent* e) override {
        if (e->type() == QEvent::ToolTip) {
            auto* help = static_cast<QHelpEvent*>(e);
            const int c = channelAt(help->pos());
            if (c >= 0 && mTooltip)
                QToolTip::showText(help->globalPos(), mTooltip(c), this);
            else
                QToolTip::hideText();
            return true;
        }
        return QWidget::event(e);
    }

private:
    static constexpr int kLeftMargin = 64;
    static constexpr int kGap = 3;
    static constexpr int kBlockGap = 10;

    QSize tileSize() const {
        const int w = mTileSize;
        const int h =
            std::clamp(static_cast<int>(std::lround(static_cast<double>(mTileSize) * mPlaneH / mPlaneW)), 8,
                       4 * mTileSize);
        return {w, h};
    }
    int indexHeight() const { return QFontMetrics(mSmall).height(); }
    int columns() const { return std::max(1, (width() - kLeftMargin - 4) / (tileSize().width() + kGap)); }
    int blockHeight() const {
        const int rows = hasTeacher() ? 2 : 1;
        return indexHeight() + rows * (tileSize().height() + kGap) + kBlockGap;
    }
    int blockTop(int block) const { return 4 + block * blockHeight(); }
    QRect tileRect(int c, bool teacher) const {
        const int cols = columns();
        const QSize tile = tileSize();
        const int row = hasTeacher() && !teacher ? 1 : 0;
        const int x = kLeftMargin + (c % cols) * (tile.width() + kGap);
        const int y = blockTop(c / cols) + indexHeight() + row * (tile.height() + kGap);
        return {x, y, tile.width(), tile.height()};
    }
    int channelAt(const QPoint& pos) const {
        for (int c = 0; c < mChannels; ++c) {
            if (tileRect(c, false).contains(pos)) return c;
            if (hasTeacher() && tileRect(c, true).contains(pos)) return c;
        }
        return -1;
    }
    void drawTile(QPainter& p, const QImage& atlas, int c, const QRect& target, bool constant) {
        p.drawImage(target, atlas, QRect(c * mPlaneW, 0, mPlaneW, mPlaneH));
        if (constant) {
            // A constant (dead or saturated) channel: mark it so it is not read as "cold everywhere".
            p.setPen(QPen(QColor(255, 255, 255, 140), 1));
            p.drawLine(target.topLeft(), target.bottomRight());
        }
    }
    void updateHeight() {
        const int blocks = mChannels > 0 ? (mChannels + columns() - 1) / columns() : 0;
        setMinimumHeight(std::max(120, 8 + blocks * blockHeight()));
    }

    QImage mTeacher, mStudent;
    int mChannels = 0, mPlaneH = 1, mPlaneW = 1;
    int mTileSize = 48;
    int mSelected = -1;
    QVector<bool> mTeacherConstant, mStudentConstant;
    QString mEmptyText;
    QFont mSmall;
    std::function<QString(int)> mTooltip;
};

namespace {
QLabel* imageLabel(QWidget* parent, int size) {
    auto* l = new QLabel(parent);
    l->setFixedSize(size, size);
    l->setAlignment(Qt::AlignCenter);
    l->setStyleSheet(QStringLiteral("QLabel { background: #202020; }"));
    return l;
}
QPixmap enlarged(const QImage& img, int size) {
    if (img.isNull()) return {};
    return QPixmap::fromImage(img.scaled(size, size, Qt::KeepAspectRatio, Qt::FastTransformation));
}
QString num(double v) {
    const double a = std::abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e4)) return QString::number(v, 'e', 2);
    return QString::number(v, 'g', 3);
}
constexpr int kDetailSize = 128;

/** The map with FGD's foreground cells outlined: white frames, more opaque where the mask weighs more. */
QPixmap withMask(QPixmap map, const std::vector<float>& mask, int h, int w) {
    if (mask.empty() || map.isNull()) return map;
    const float top = *std::max_element(mask.begin(), mask.end());
    if (!(top > 0)) return map;
    QPainter p(&map);
    const double cw = static_cast<double>(map.width()) / w, ch = static_cast<double>(map.height()) / h;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float v = mask[static_cast<size_t>(y) * w + x];
            if (v <= 0) continue;
            const int alpha = static_cast<int>(60 + 160 * v / top);
            p.fillRect(QRectF(x * cw, y * ch, cw, ch), QColor(255, 255, 255, alpha / 4));
            p.setPen(QPen(QColor(255, 255, 255, alpha), 1));
            p.drawRect(QRectF(x * cw, y * ch, cw - 1, ch - 1));
        }
    return map;
}
}  // namespace

ChannelInspectorView::ChannelInspectorView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    // Row 1: what to snapshot.
    auto* row1 = new QHBoxLayout;
    mTapCombo = new QComboBox(this);
    mTapCombo->setMinimumContentsLength(18);
    mTapCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mTapCombo->setToolTip(
        tr("Teacher tap ← student tap (the student as the loss sees it, after its adapter)"));
    mSplitCombo = new QComboBox(this);
    mSplitCombo->addItem(tr("val"), QStringLiteral("val"));
    mSplitCombo->addItem(tr("train"), QStringLiteral("train"));
    mSampleSpin = new QSpinBox(this);
    mSampleSpin->setRange(0, 9999999);
    mSampleSpin->setKeyboardTracking(false);  // one request per finished edit, not per digit
    mIntervalSpin = new QSpinBox(this);
    mIntervalSpin->setRange(0, 600000);
    mIntervalSpin->setSingleStep(250);
    mIntervalSpin->setValue(1000);
    mIntervalSpin->setSuffix(tr(" ms"));
    mIntervalSpin->setSpecialValueText(tr("off"));
    mIntervalSpin->setToolTip(tr("Refresh interval while a job runs (0 = off)"));
    auto* refresh = new QPushButton(tr("Refresh"), this);
    row1->addWidget(new QLabel(tr("Taps"), this));
    row1->addWidget(mTapCombo, 1);
    row1->addWidget(new QLabel(tr("Split"), this));
    row1->addWidget(mSplitCombo);
    row1->addWidget(new QLabel(tr("Sample"), this));
    row1->addWidget(mSampleSpin);
    row1->addWidget(new QLabel(tr("Live every"), this));
    row1->addWidget(mIntervalSpin);
    row1->addWidget(refresh);
    layout->addLayout(row1);

    // Row 2: how to show it.
    auto* row2 = new QHBoxLayout;
    mNormCombo = new QComboBox(this);
    mNormCombo->addItem(tr("Raw (shared range per channel)"));
    mNormCombo->addItem(tr("Per-channel min–max"));
    mNormCombo->addItem(tr("CWD spatial softmax at τ"));
    mTauSpin = new QDoubleSpinBox(this);
    mTauSpin->setRange(0.05, 100.0);
    mTauSpin->setDecimals(2);
    mTauSpin->setSingleStep(0.5);
    mTauSpin->setValue(mTau);
    mTauSpin->setToolTip(tr("Temperature of the spatial softmax (display and KL)"));
    mZoomSlider = new QSlider(Qt::Horizontal, this);
    mZoomSlider->setRange(16, 160);
    mZoomSlider->setValue(48);
    mZoomSlider->setMaximumWidth(140);
    mZoomSlider->setToolTip(tr("Tile size"));
    mSortBox = new QCheckBox(tr("Sort bars by KL"), this);
    mFgdBox = new QCheckBox(tr("FGD mask"), this);
    mFgdBox->setObjectName("fgdMask");
    mFgdBox->setToolTip(
        tr("Detection: outline the cells FGD counts as foreground (the sample's boxes at this "
           "map's size; brighter where objects are smaller, as FGD weighs them)"));
    mFgdBox->setVisible(false);
    row2->addWidget(new QLabel(tr("Show"), this));
    row2->addWidget(mNormCombo);
    row2->addWidget(new QLabel(tr("τ"), this));
    row2->addWidget(mTauSpin);
    row2->addSpacing(8);
    row2->addWidget(new QLabel(tr("Tiles"), this));
    row2->addWidget(mZoomSlider);
    row2->addStretch(1);
    row2->addWidget(mFgdBox);
    row2->addWidget(mSortBox);
    auto* distributions = new QPushButton(tr("Distributions…"), this);
    distributions->setObjectName("showDistributions");
    distributions->setToolTip(
        tr("The selected channel's activations over many samples, teacher beside student, "
           "with every channel's distribution and KL"));
    connect(distributions, &QPushButton::clicked, this, [this] {
        Q_EMIT distributionsRequested(teacherTap(), studentTap(), std::max(0, mSelected), mTau);
    });
    row2->addWidget(distributions);
    layout->addLayout(row2);

    mStatus = new QLabel(this);
    mStatus->setWordWrap(true);
    layout->addWidget(mStatus);

    // Tiles | detail, above the KL chart.
    auto* vsplit = new QSplitter(Qt::Vertical, this);
    auto* hsplit = new QSplitter(Qt::Horizontal, vsplit);
    auto* scroll = new QScrollArea(hsplit);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mGrid = new ChannelGrid(scroll);
    mGrid->setEmptyText(tr("No snapshot yet: pick a tap pair and a sample."));
    scroll->setWidget(mGrid);

    auto* detail = new QWidget(hsplit);
    auto* dl = new QGridLayout(detail);
    dl->setContentsMargins(6, 2, 2, 2);
    dl->setHorizontalSpacing(6);
    dl->setVerticalSpacing(2);
    mDetailTitle = new QLabel(detail);
    mDetailTitle->setTextFormat(Qt::RichText);
    dl->addWidget(mDetailTitle, 0, 0, 1, 2);
    const auto cell = [&](const QString& caption, QLabel*& image, QLabel** captionOut, int r, int c) {
        auto* box = new QWidget(detail);
        auto* v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(1);
        auto* cap = new QLabel(caption, box);
        image = imageLabel(box, kDetailSize);
        v->addWidget(cap);
        v->addWidget(image);
        if (captionOut) *captionOut = cap;
        dl->addWidget(box, r, c);
        return box;
    };
    cell(tr("input"), mInputImage, nullptr, 1, 0);
    mTeacherBox = cell(tr("teacher"), mTeacherImage, &mTeacherCaption, 1, 1);
    cell(tr("student"), mStudentImage, &mStudentCaption, 2, 0);
    mDiffBox = cell(tr("student − teacher"), mDiffImage, &mDiffCaption, 2, 1);
    const auto bar = [&](QLabel*& barLabel, QLabel*& range, int r, int c) {
        auto* box = new QWidget(detail);
        auto* v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(0);
        barLabel = new QLabel(box);
        range = new QLabel(box);
        QFont f = range->font();
        f.setPointSizeF(f.pointSizeF() * 0.85);
        range->setFont(f);
        v->addWidget(barLabel);
        v->addWidget(range);
        dl->addWidget(box, r, c);
        return box;
    };
    bar(mHeatBar, mHeatRange, 3, 0);
    bar(mDiffBar, mDiffRange, 3, 1);
    mHeatBar->setPixmap(QPixmap::fromImage(colorBarImage(viridisTable(), kDetailSize, 8)));
    mDiffBar->setPixmap(QPixmap::fromImage(colorBarImage(divergingTable(), kDetailSize, 8)));
    mDetailText = new QLabel(detail);
    mDetailText->setWordWrap(true);
    mDetailText->setTextFormat(Qt::RichText);
    dl->addWidget(mDetailText, 4, 0, 1, 2);
    dl->setRowStretch(5, 1);
    detail->setMinimumWidth(2 * kDetailSize + 20);

    hsplit->addWidget(scroll);
    hsplit->addWidget(detail);
    hsplit->setStretchFactor(0, 1);
    hsplit->setStretchFactor(1, 0);
    hsplit->setCollapsible(0, false);

    mBarsPlot = new QCustomPlot(vsplit);
    mBarsPlot->setMinimumHeight(120);
    mBarsPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    mBarsPlot->axisRect()->setRangeDrag(Qt::Horizontal);
    mBarsPlot->axisRect()->setRangeZoom(Qt::Horizontal);
    mBarsPlot->yAxis->setLabel(tr("KL(p_T ‖ p_S)"));
    mBars = new QCPBars(mBarsPlot->xAxis, mBarsPlot->yAxis);
    mBars->setWidth(0.8);
    mBars->setPen(Qt::NoPen);
    mBars->setBrush(QColor(0x3e6fb0));
    mSelectedBar = new QCPBars(mBarsPlot->xAxis, mBarsPlot->yAxis);
    mSelectedBar->setWidth(0.8);
    mSelectedBar->setPen(Qt::NoPen);
    mSelectedBar->setBrush(QColor(0xff7f0e));
    vsplit->addWidget(hsplit);
    vsplit->addWidget(mBarsPlot);
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 1);
    vsplit->setCollapsible(0, false);
    layout->addWidget(vsplit, 1);

    mMessage = new QLabel(this);
    mMessage->setWordWrap(true);
    mMessage->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    mMessage->hide();
    layout->addWidget(mMessage);

    mLiveTimer = new QTimer(this);
    connect(mLiveTimer, &QTimer::timeout, this, &ChannelInspectorView::requestSnapshot);

    connect(mTapCombo, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        mSelected = -1;  // another tap: its worst channel is a different one
        requestSnapshot();
        updateTimer();
    });
    connect(mSplitCombo, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &ChannelInspectorView::requestSnapshot);
    connect(mSampleSpin, qOverload<int>(&QSpinBox::valueChanged), this,
            &ChannelInspectorView::requestSnapshot);
    connect(mIntervalSpin, qOverload<int>(&QSpinBox::valueChanged), this, &ChannelInspectorView::updateTimer);
    connect(refresh, &QPushButton::clicked, this, &ChannelInspectorView::requestSnapshot);
    connect(mNormCombo, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int i) { setNormalisation(static_cast<Normalisation>(i)); });
    connect(mTauSpin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &ChannelInspectorView::setTau);
    connect(mZoomSlider, &QSlider::valueChanged, mGrid, &ChannelGrid::setTileSize);
    connect(mSortBox, &QCheckBox::toggled, this, &ChannelInspectorView::setSortByKl);
    connect(mFgdBox, &QCheckBox::toggled, this, [this] { updateDetail(); });
    mGrid->onClicked = [this](int c) { selectChannel(c); };
    mGrid->setTooltipProvider([this](int c) {
        QString tip = tr("channel %1").arg(c);
        if (c < mTeacherPlanes.size())
            tip += tr("\nteacher: %1 … %2").arg(num(mTeacherPlanes[c].lo), num(mTeacherPlanes[c].hi));
        if (c < mStudentPlanes.size())
            tip += tr("\nstudent: %1 … %2").arg(num(mStudentPlanes[c].lo), num(mStudentPlanes[c].hi));
        if (c < mKl.size()) tip += tr("\nKL(p_T‖p_S) = %1").arg(num(mKl[c]));
        return tip;
    });
    connect(mBarsPlot, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        if (mBarOrder.isEmpty() || !mBarsPlot->axisRect()->rect().contains(e->position().toPoint())) return;
        const int pos = static_cast<int>(std::lround(mBarsPlot->xAxis->pixelToCoord(e->position().x())));
        if (pos >= 0 && pos < mBarOrder.size()) selectChannel(mBarOrder[pos]);
    });

    recompute();
}

ChannelInspectorView::~ChannelInspectorView() = default;

// ---- selection of what to snapshot ------------------------------------------------------------------

void ChannelInspectorView::setTapPairs(const QList<QPair<QString, QString>>& pairs) {
    const QString oldT = teacherTap(), oldS = studentTap();
    {
        const QSignalBlocker block(mTapCombo);
        mTapCombo->clear();
        int keep = 0;
        for (int i = 0; i < pairs.size(); ++i) {
            const auto& [t, s] = pairs[i];
            mTapCombo->addItem(t.isEmpty() ? s : tr("%1 ← %2").arg(t, s), QStringList{t, s});
            if (t == oldT && s == oldS) keep = i;
        }
        mTapCombo->setCurrentIndex(pairs.isEmpty() ? -1 : keep);
    }
    updateTimer();
}

QString ChannelInspectorView::teacherTap() const {
    return mTapCombo->currentData().toStringList().value(0);
}
QString ChannelInspectorView::studentTap() const {
    return mTapCombo->currentData().toStringList().value(1);
}

void ChannelInspectorView::setSampleCount(qint64 count) {
    const QSignalBlocker block(mSampleSpin);
    mSampleSpin->setMaximum(
        static_cast<int>(std::clamp<qint64>(count - 1, 0, std::numeric_limits<int>::max())));
}

void ChannelInspectorView::setSampleIndex(qint64 index) {
    const QSignalBlocker block(mSampleSpin);
    mSampleSpin->setValue(static_cast<int>(index));
}
qint64 ChannelInspectorView::sampleIndex() const {
    return mSampleSpin->value();
}

void ChannelInspectorView::setSplit(const QString& split) {
    const QSignalBlocker block(mSplitCombo);
    const int i = mSplitCombo->findData(split);
    if (i >= 0) mSplitCombo->setCurrentIndex(i);
}
QString ChannelInspectorView::split() const {
    return mSplitCombo->currentData().toString();
}

void ChannelInspectorView::setLive(bool live) {
    mLive = live;
    updateTimer();
}

void ChannelInspectorView::setRefreshInterval(int milliseconds) {
    mIntervalSpin->setValue(std::max(0, milliseconds));
    updateTimer();
}
int ChannelInspectorView::refreshInterval() const {
    return mIntervalSpin->value();
}

void ChannelInspectorView::updateTimer() {
    const int ms = mIntervalSpin->value();
    if (mLive && ms > 0 && !studentTap().isEmpty()) {
        if (!mLiveTimer->isActive() || mLiveTimer->interval() != ms) mLiveTimer->start(ms);
    } else {
        mLiveTimer->stop();
    }
}

void ChannelInspectorView::requestSnapshot() {
    if (studentTap().isEmpty()) return;
    Q_EMIT snapshotRequested(teacherTap(), studentTap(), sampleIndex(), split());
}

void ChannelInspectorView::showMessage(const QString& text) {
    mMessage->setText(text);
    mMessage->setVisible(!text.isEmpty());
}

// ---- data -----------------------------------------------------------------------------------------

bool ChannelInspectorView::hasTeacher() const {
    return mSnapshot.teacher.channels > 0 && !mSnapshot.teacher.data.empty();
}

const float* ChannelInspectorView::teacherPlane(int c) const {
    const auto& t = mSnapshot.teacher;
    return t.data.data() + static_cast<size_t>(c) * t.height * t.width;
}

const float* ChannelInspectorView::studentPlane(int c) const {
    const auto& s = mSnapshot.student;
    if (!mStudentResized.empty()) {
        const auto& t = mSnapshot.teacher;
        return mStudentResized.data() + static_cast<size_t>(c) * t.height * t.width;
    }
    return s.data.data() + static_cast<size_t>(c) * s.height * s.width;
}

void ChannelInspectorView::setSnapshot(const ActivationSnapshot& snapshot) {
    mSnapshot = snapshot;
    mHaveSnapshot = true;
    showMessage(QString());
    // The controls follow what the snapshot holds, unless the user is editing them right now.
    if (!mSampleSpin->hasFocus()) setSampleIndex(snapshot.sampleIndex);
    if (!mSplitCombo->hasFocus()) setSplit(QString::fromLatin1(splitName(snapshot.split)));
    recompute();
}

void ChannelInspectorView::recompute() {
    const auto& t = mSnapshot.teacher;
    const auto& s = mSnapshot.student;
    const bool teacher = hasTeacher();
    mStudentResized.clear();
    const auto valid = [](const FeatureMap& m) {
        return m.channels > 0 && m.height > 0 && m.width > 0 &&
               m.data.size() == static_cast<size_t>(m.channels * m.height * m.width);
    };
    if (teacher && valid(s) && valid(t) && (s.height != t.height || s.width != t.width))
        mStudentResized =
            resizePlanes(s.data.data(), static_cast<int>(s.channels), static_cast<int>(s.height),
                         static_cast<int>(s.width), static_cast<int>(t.height), static_cast<int>(t.width));

    mTeacherPlanes.clear();
    mStudentPlanes.clear();
    mKl.clear();
    if (valid(s)) {
        const size_t sn = static_cast<size_t>(s.height) * s.width;
        for (int c = 0; c < s.channels; ++c) {
            Plane p;
            const float* x = s.data.data() + c * sn;
            planeRange(x, sn, p.lo, p.hi);
            p.constant = isConstantPlane(x, sn);
            mStudentPlanes.append(p);
        }
    }
    if (teacher && valid(t)) {
        const size_t tn = static_cast<size_t>(t.height) * t.width;
        for (int c = 0; c < t.channels; ++c) {
            Plane p;
            planeRange(teacherPlane(c), tn, p.lo, p.hi);
            p.constant = isConstantPlane(teacherPlane(c), tn);
            mTeacherPlanes.append(p);
        }
        if (valid(s)) {
            const int n = static_cast<int>(std::min(t.channels, s.channels));
            for (int c = 0; c < n; ++c)
                mKl.append(spatialKl(teacherPlane(c), studentPlane(c), tn, mTau));
        }
    }
    if (mSelected >= static_cast<int>(mStudentPlanes.size())) mSelected = -1;
    if (mSelected < 0 && !mStudentPlanes.isEmpty()) {
        // Start on the worst-matched channel: that is what the inspector is for.
        mSelected =
            mKl.isEmpty() ? 0 : static_cast<int>(std::max_element(mKl.begin(), mKl.end()) - mKl.begin());
    }
    rebuildImages();
    rebuildBars();
    updateDetail();
    updateStatus();
}

void ChannelInspectorView::rebuildImages() {
    const auto& t = mSnapshot.teacher;
    const auto& s = mSnapshot.student;
    const bool teacher = !mTeacherPlanes.isEmpty();
    mTeacherShown.clear();
    mStudentShown.clear();
    if (mStudentPlanes.isEmpty()) {
        mGrid->setContent({}, {}, 0, 1, 1, {}, {});
        mGrid->setEmptyText(mHaveSnapshot ? tr("The snapshot holds no student feature map.")
                                          : tr("No snapshot yet: pick a tap pair and a sample."));
        return;
    }
    // The student is drawn at the teacher's size when it was resized, so tiles line up.
    const int h = static_cast<int>(teacher ? t.height : s.height);
    const int w = static_cast<int>(teacher ? t.width : s.width);
    const size_t n = static_cast<size_t>(h) * w;
    const int channels = static_cast<int>(mStudentPlanes.size());
    const int teacherChannels = static_cast<int>(mTeacherPlanes.size());
    const int shown = std::max(channels, teacherChannels);

    mTeacherShown.resize(static_cast<size_t>(teacherChannels) * n);
    mStudentShown.resize(static_cast<size_t>(channels) * n);
    for (int c = 0; c < teacherChannels; ++c)
        std::copy_n(teacherPlane(c), n, mTeacherShown.data() + c * n);
    for (int c = 0; c < channels; ++c)
        std::copy_n(studentPlane(c), n, mStudentShown.data() + c * n);
    if (mNormalisation == Normalisation::Softmax) {
        for (int c = 0; c < teacherChannels; ++c) {
            const auto p = spatialSoftmax(teacherPlane(c), n, mTau);
            std::copy(p.begin(), p.end(), mTeacherShown.begin() + c * n);
        }
        for (int c = 0; c < channels; ++c) {
            const auto p = spatialSoftmax(studentPlane(c), n, mTau);
            std::copy(p.begin(), p.end(), mStudentShown.begin() + c * n);
        }
    }

    QImage teacherAtlas, studentAtlas;
    if (teacher) {
        teacherAtlas = QImage(teacherChannels * w, h, QImage::Format_RGB32);
        teacherAtlas.fill(Qt::black);
    }
    studentAtlas = QImage(shown * w, h, QImage::Format_RGB32);
    studentAtlas.fill(Qt::black);
    for (int c = 0; c < shown; ++c) {
        const float* tp = c < teacherChannels ? mTeacherShown.data() + c * n : nullptr;
        const float* sp = c < channels ? mStudentShown.data() + c * n : nullptr;
        float tlo = 0, thi = 0, slo = 0, shi = 0;
        if (tp) planeRange(tp, n, tlo, thi);
        if (sp) planeRange(sp, n, slo, shi);
        double tl = tlo, th = thi, sl = slo, sh = shi;
        if (mNormalisation != Normalisation::PerChannel && tp && sp) {
            // One range for both grids, so brighter means larger in either model.
            tl = sl = std::min(tlo, slo);
            th = sh = std::max(thi, shi);
            if (mNormalisation == Normalisation::Softmax) tl = sl = 0.0;
        }
        if (tp) paintPlane(teacherAtlas, c * w, 0, tp, h, w, tl, th, viridisTable());
        if (sp) paintPlane(studentAtlas, c * w, 0, sp, h, w, sl, sh, viridisTable());
    }
    QVector<bool> tConst, sConst;
    for (const auto& p : mTeacherPlanes)
        tConst.append(p.constant);
    for (const auto& p : mStudentPlanes)
        sConst.append(p.constant);
    mGrid->setContent(teacherAtlas, studentAtlas, channels, h, w, tConst, sConst);
    mGrid->setSelected(mSelected);
}

void ChannelInspectorView::rebuildBars() {
    mBarOrder.resize(mKl.size());
    std::iota(mBarOrder.begin(), mBarOrder.end(), 0);
    if (mSortByKl)
        std::stable_sort(mBarOrder.begin(), mBarOrder.end(),
                         [this](int a, int b) { return mKl[a] > mKl[b]; });
    QVector<double> keys, values;
    QVector<double> selKeys, selValues;
    for (int i = 0; i < mBarOrder.size(); ++i) {
        keys.append(i);
        values.append(mKl[mBarOrder[i]]);
        if (mBarOrder[i] == mSelected) {
            selKeys.append(i);
            selValues.append(mKl[mBarOrder[i]]);
        }
    }
    mBars->setData(keys, values, true);
    mSelectedBar->setData(selKeys, selValues, true);

    // Channel numbers as tick labels; thinned so they never overlap.
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    const int n = mBarOrder.size();
    const int every = std::max(1, static_cast<int>(std::ceil(n / 32.0)));
    for (int i = 0; i < n; i += every)
        ticker->addTick(i, QString::number(mBarOrder[i]));
    mBarsPlot->xAxis->setTicker(ticker);
    mBarsPlot->xAxis->setTickLabelRotation(n > 16 ? -90 : 0);
    mBarsPlot->xAxis->setLabel(mSortByKl ? tr("channel (sorted by KL, worst first)") : tr("channel"));
    mBarsPlot->xAxis->setRange(-0.7, std::max(n, 1) - 0.3);
    double top = values.isEmpty() ? 1.0 : *std::max_element(values.begin(), values.end());
    mBarsPlot->yAxis->setRange(0, top > 0 ? top * 1.1 : 1.0);
    mBarsPlot->setVisible(!mKl.isEmpty());
    mSortBox->setEnabled(!mKl.isEmpty());
    mBarsPlot->replot(QCustomPlot::rpQueuedReplot);
}

std::vector<float> ChannelInspectorView::foregroundMask(int h, int w) const {
    const Image& im = mSnapshot.sample.image;
    if (!mFgdBox->isChecked() || mSnapshot.sample.boxes.empty() || im.height <= 0) return {};
    return fgdForegroundMask(mSnapshot.sample.boxes, h, w, im.height, im.width);
}

void ChannelInspectorView::updateDetail() {
    const int c = mSelected;
    mFgdBox->setVisible(!mSnapshot.sample.boxes.empty());
    const bool showMask = mFgdBox->isVisible() && mFgdBox->isChecked();
    mInputImage->setPixmap(
        enlarged(showMask ? boxesToImage(mSnapshot.sample.image, mSnapshot.sample.boxes, {}, 1.0, {}, 4)
                          : sampleToImage(mSnapshot.sample.image),
                 kDetailSize));
    const bool teacher = c >= 0 && c < mTeacherPlanes.size();
    const bool student = c >= 0 && c < mStudentPlanes.size();
    mTeacherBox->setVisible(!mTeacherPlanes.isEmpty());
    mDiffBox->setVisible(!mTeacherPlanes.isEmpty());
    mDiffBar->setVisible(!mTeacherPlanes.isEmpty());
    mDiffRange->setVisible(!mTeacherPlanes.isEmpty());
    if (!student) {
        mDetailTitle->setText(mStudentPlanes.isEmpty() ? QString()
                                                       : tr("Click a tile or bar to enlarge it."));
        mTeacherImage->clear();
        mStudentImage->clear();
        mDiffImage->clear();
        mDetailText->clear();
        mHeatRange->clear();
        mDiffRange->clear();
        return;
    }
    const auto& t = mSnapshot.teacher;
    const auto& s = mSnapshot.student;
    // Planes are shown at the teacher's size whenever there is a teacher (see rebuildImages).
    const int h = static_cast<int>(!mTeacherPlanes.isEmpty() ? t.height : s.height);
    const int w = static_cast<int>(!mTeacherPlanes.isEmpty() ? t.width : s.width);
    const size_t n = static_cast<size_t>(h) * w;
    const float* sp = mStudentShown.data() + c * n;
    const float* tp = teacher ? mTeacherShown.data() + c * n : nullptr;
    float lo, hi, tlo = 0, thi = 0;
    planeRange(sp, n, lo, hi);
    const float slo = lo, shi = hi;
    if (tp) planeRange(tp, n, tlo, thi);
    double sl = slo, sh = shi, tl = tlo, th = thi;
    if (tp && mNormalisation != Normalisation::PerChannel) {
        sl = tl = std::min(slo, tlo);
        sh = th = std::max(shi, thi);
        if (mNormalisation == Normalisation::Softmax) sl = tl = 0;
    }
    const std::vector<float> fg = foregroundMask(h, w);
    mStudentImage->setPixmap(
        withMask(enlarged(planeToImage(sp, h, w, sl, sh, viridisTable()), kDetailSize), fg, h, w));
    mStudentCaption->setText(tr("student, channel %1").arg(c));
    QString range = mNormalisation == Normalisation::PerChannel && tp
                        ? tr("T %1 … %2 · S %3 … %4").arg(num(tl), num(th), num(sl), num(sh))
                        : tr("%1 … %2").arg(num(sl), num(sh));
    mHeatRange->setText(range);
    if (tp) {
        mTeacherImage->setPixmap(
            withMask(enlarged(planeToImage(tp, h, w, tl, th, viridisTable()), kDetailSize), fg, h, w));
        mTeacherCaption->setText(tr("teacher, channel %1").arg(c));
        // The difference of what the tiles show (normalised planes in min–max mode), on a symmetric scale.
        std::vector<float> diff(n);
        double amax = 0;
        for (size_t i = 0; i < n; ++i) {
            double a = tp[i], b = sp[i];
            if (mNormalisation == Normalisation::PerChannel) {
                a = th > tl ? (a - tl) / (th - tl) : 0.0;
                b = sh > sl ? (b - sl) / (sh - sl) : 0.0;
            }
            diff[i] = static_cast<float>(b - a);
            amax = std::max(amax, std::abs(static_cast<double>(diff[i])));
        }
        if (amax <= 0) amax = 1e-12;
        mDiffImage->setPixmap(
            enlarged(planeToImage(diff.data(), h, w, -amax, amax, divergingTable()), kDetailSize));
        mDiffRange->setText(tr("−%1 … +%1").arg(num(amax)));
    }
    QString title = tr("<b>Channel %1</b>").arg(c);
    QStringList lines;
    if (c < mKl.size()) {
        int rank = 1;
        for (double v : mKl)
            if (v > mKl[c]) ++rank;
        lines << tr("KL(p_T‖p_S) at τ = %1: <b>%2</b> (rank %3 of %4, worst first)")
                     .arg(mTau)
                     .arg(num(mKl[c]))
                     .arg(rank)
                     .arg(mKl.size());
    }
    if (teacher)
        lines << tr("teacher raw %1 … %2%3")
                     .arg(num(mTeacherPlanes[c].lo), num(mTeacherPlanes[c].hi),
                          mTeacherPlanes[c].constant ? tr(" (constant)") : QString());
    lines << tr("student raw %1 … %2%3")
                 .arg(num(mStudentPlanes[c].lo), num(mStudentPlanes[c].hi),
                      mStudentPlanes[c].constant ? tr(" (constant)") : QString());
    mDetailTitle->setText(title);
    mDetailText->setText(lines.join(QStringLiteral("<br>")));
}

void ChannelInspectorView::updateStatus() {
    if (!mHaveSnapshot) {
        mStatus->setText(tr("Waiting for a snapshot."));
        return;
    }
    const auto& t = mSnapshot.teacher;
    const auto& s = mSnapshot.student;
    const auto shape = [](const FeatureMap& m) {
        return QStringLiteral("%1×%2×%3").arg(m.channels).arg(m.height).arg(m.width);
    };
    QStringList parts;
    if (mSnapshot.step > 0) parts << tr("step %1").arg(mSnapshot.step);  // 0: a finished run's checkpoint
    parts
        << tr("%1 sample %2").arg(QString::fromLatin1(splitName(mSnapshot.split))).arg(mSnapshot.sampleIndex);
    if (hasTeacher()) parts << tr("teacher %1 %2").arg(QString::fromStdString(t.tap), shape(t));
    parts << tr("student %1 %2").arg(QString::fromStdString(s.tap), shape(s));
    if (!mKl.isEmpty()) parts << tr("CWD here: τ²·mean KL = %1").arg(num(cwdLoss()));
    if (hasTeacher() && t.channels != s.channels)
        parts << tr("channel counts differ: no adapter pairs these taps; KL compares the first %1")
                     .arg(mKl.size());
    if (!mStudentResized.empty()) parts << tr("student resized to the teacher's size for KL");
    parts << tr("%1 of %2 student channels constant")
                 .arg(mStudentPlanes.size() - nonConstantTiles(false))
                 .arg(mStudentPlanes.size());
    mStatus->setText(parts.join(QStringLiteral(" · ")));
}

// ---- display options ------------------------------------------------------------------------------

void ChannelInspectorView::setNormalisation(Normalisation mode) {
    mNormalisation = mode;
    if (mNormCombo->currentIndex() != static_cast<int>(mode)) {
        const QSignalBlocker block(mNormCombo);
        mNormCombo->setCurrentIndex(static_cast<int>(mode));
    }
    rebuildImages();
    updateDetail();
}

void ChannelInspectorView::setTau(double tau) {
    if (!(tau > 0)) return;
    mTau = tau;
    if (std::abs(mTauSpin->value() - tau) > 1e-9) {
        const QSignalBlocker block(mTauSpin);
        mTauSpin->setValue(tau);
    }
    recompute();  // KL depends on tau
}

void ChannelInspectorView::setSortByKl(bool sorted) {
    mSortByKl = sorted;
    if (mSortBox->isChecked() != sorted) {
        const QSignalBlocker block(mSortBox);
        mSortBox->setChecked(sorted);
    }
    rebuildBars();
}

void ChannelInspectorView::selectChannel(int channel) {
    if (channel < 0 || channel >= mStudentPlanes.size()) return;
    mSelected = channel;
    mGrid->setSelected(channel);
    rebuildBars();
    updateDetail();
}

int ChannelInspectorView::nonConstantTiles(bool teacher) const {
    const auto& planes = teacher ? mTeacherPlanes : mStudentPlanes;
    return static_cast<int>(
        std::count_if(planes.begin(), planes.end(), [](const Plane& p) { return !p.constant; }));
}

double ChannelInspectorView::cwdLoss() const {
    if (mKl.isEmpty()) return 0.0;
    return mTau * mTau * std::accumulate(mKl.begin(), mKl.end(), 0.0) / mKl.size();
}

}  // namespace distillery
