#include "widgets/views/channel_distribution_view.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <algorithm>
#include <numeric>
#include <tuple>

#include "widgets/views/heatmap.h"

namespace distillery {

namespace {
const QColor kTeacher(0x1f77b4);
const QColor kStudent(0xff7f0e);
constexpr int kPerPage = 32;  // boxes per model in view

QImage mapImage(const std::vector<float>& plane, int h, int w, double lo, double hi) {
    if (plane.empty() || h <= 0 || w <= 0) return {};
    const int scale = std::max(1, 140 / std::max(h, w));
    return planeToImage(plane.data(), h, w, lo, hi, viridisTable()).scaled(w * scale, h * scale);
}
}  // namespace

ChannelDistributionView::ChannelDistributionView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    mSummary = new QLabel(this);
    mSummary->setWordWrap(true);
    mSamples = new QSpinBox(this);
    mSamples->setObjectName("distributionSamples");
    mSamples->setRange(1, 10000);
    mSamples->setValue(64);
    mSamples->setToolTip(tr("The first samples of the validation split"));
    mFirst = new QSpinBox(this);
    mFirst->setObjectName("distributionFirst");
    mFirst->setRange(0, 0);
    mFirst->setSingleStep(kPerPage);
    mFirst->setToolTip(tr("The first of the %1 channels shown (in the order of the plot)").arg(kPerPage));
    mSort = new QCheckBox(tr("Sort by KL"), this);
    mSort->setChecked(true);
    mCompute = new QPushButton(tr("Compute"), this);
    mCompute->setObjectName("computeDistributions");
    auto* samplesLabel = new QLabel(tr("Samples:"), this);
    samplesLabel->setBuddy(mSamples);
    auto* firstLabel = new QLabel(tr("From:"), this);
    firstLabel->setBuddy(mFirst);
    bar->addWidget(samplesLabel);
    bar->addWidget(mSamples);
    bar->addWidget(firstLabel);
    bar->addWidget(mFirst);
    bar->addWidget(mSort);
    bar->addStretch(1);
    bar->addWidget(mCompute);
    layout->addLayout(bar);
    layout->addWidget(mSummary);

    mBoxes = new QCustomPlot(this);
    mBoxes->setObjectName("distributionBoxes");
    mBoxes->setMinimumHeight(220);
    mBoxes->xAxis->setLabel(tr("channel"));
    mBoxes->yAxis->setLabel(tr("activation (5–25–50–75–95 %)"));
    mBoxes->yAxis2->setVisible(true);
    mBoxes->yAxis2->setLabel(tr("KL(p_T ‖ p_S)"));
    mBoxes->yAxis2->setLabelColor(QColor(0x909090));
    mBoxes->legend->setVisible(true);
    mBoxes->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    mBoxes->legend->setBrush(QColor(255, 255, 255, 210));
    layout->addWidget(mBoxes, 3);

    auto* detail = new QGridLayout;
    mHistogram = new QCustomPlot(this);
    mHistogram->setObjectName("distributionHistogram");
    mHistogram->setMinimumHeight(170);
    mHistogram->xAxis->setLabel(tr("activation"));
    mHistogram->yAxis->setLabel(tr("share of values"));
    mHistogram->legend->setVisible(true);
    mHistogram->legend->setBrush(QColor(255, 255, 255, 210));
    mTeacherMap = new QLabel(this);
    mStudentMap = new QLabel(this);
    mDetail = new QLabel(this);
    mDetail->setWordWrap(true);
    auto* mapsCaption =
        new QLabel(tr("Mean spatial softmax at τ (what CWD compares): teacher, student"), this);
    mapsCaption->setWordWrap(true);
    auto* maps = new QHBoxLayout;
    maps->addWidget(mTeacherMap);
    maps->addWidget(mStudentMap);
    maps->addStretch(1);
    detail->addWidget(mHistogram, 0, 0, 3, 1);
    detail->addWidget(mDetail, 0, 1);
    detail->addWidget(mapsCaption, 1, 1);
    detail->addLayout(maps, 2, 1);
    detail->setColumnStretch(0, 3);
    detail->setColumnStretch(1, 2);
    layout->addLayout(detail, 2);

    connect(mCompute, &QPushButton::clicked, this, &ChannelDistributionView::compute);
    connect(mSort, &QCheckBox::toggled, this, &ChannelDistributionView::setSortByKl);
    connect(mFirst, &QSpinBox::valueChanged, this, [this] { rebuild(); });
    connect(mBoxes, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
        const int k = static_cast<int>(std::lround(mBoxes->xAxis->pixelToCoord(event->position().x())));
        const int index = mFirst->value() + k;
        if (k >= 0 && index < static_cast<int>(mOrder.size())) selectChannel(static_cast<int>(mOrder[index]));
    });
    connect(&mWatcher, &QFutureWatcher<ChannelDistributions>::finished, this, [this] {
        mCompute->setEnabled(true);
        if (!mError.isEmpty()) {
            mSummary->setText(mError);
            Q_EMIT errorOccurred(mError);
            return;
        }
        const int channel = mPendingChannel;
        setDistributions(mWatcher.result());
        selectChannel(channel);
        Q_EMIT ready();
    });
    mSummary->setText(
        tr("Pick a channel in the channel inspector and press Distributions, or Compute here."));
    mCompute->setEnabled(false);
}

ChannelDistributionView::~ChannelDistributionView() {
    mWatcher.waitForFinished();
}

void ChannelDistributionView::showRun(const QString& runDir, const QString& teacherTap,
                                      const QString& studentTap, int channel, double tau) {
    mRunDir = runDir;
    mTeacherTap = teacherTap;
    mStudentTap = studentTap;
    mTau = tau;
    mPendingChannel = channel;
    compute();
}

void ChannelDistributionView::compute() {
    if (mRunDir.isEmpty() || mStudentTap.isEmpty() || mWatcher.isRunning()) return;
    DistributionRequest req;
    req.runDir = mRunDir.toStdString();
    req.teacherTap = mTeacherTap.toStdString();
    req.studentTap = mStudentTap.toStdString();
    req.samples = mSamples->value();
    req.tau = mTau;
    req.checkpoint = CheckpointChoice::Last;  // the newest weights, also while the run goes on
    mError.clear();
    mCompute->setEnabled(false);
    mSummary->setText(tr("Computing the distributions of %1 samples…").arg(req.samples));
    mWatcher.setFuture(QtConcurrent::run([this, req] {
        try {
            return channelDistributions(req);
        } catch (const std::exception& e) {
            mError = QString::fromStdString(e.what());
            return ChannelDistributions{};
        }
    }));
}

void ChannelDistributionView::setDistributions(const ChannelDistributions& distributions) {
    mData = distributions;
    mCompute->setEnabled(!mRunDir.isEmpty());
    const int count = static_cast<int>(mData.channels.size());
    {
        const QSignalBlocker block(mFirst);
        mFirst->setRange(0, std::max(0, count - 1));
        mFirst->setValue(0);
    }
    mSelected = -1;
    rebuild();
    if (count > 0) selectChannel(static_cast<int>(mOrder.front()));
}

void ChannelDistributionView::setSortByKl(bool sorted) {
    mSortByKl = sorted;
    if (mSort->isChecked() != sorted) {
        const QSignalBlocker block(mSort);
        mSort->setChecked(sorted);
    }
    rebuild();
}

QString ChannelDistributionView::summaryText() const {
    return mSummary->text();
}

void ChannelDistributionView::rebuild() {
    mOrder.resize(mData.channels.size());
    std::iota(mOrder.begin(), mOrder.end(), int64_t{0});
    if (mSortByKl && mData.withTeacher)
        std::stable_sort(mOrder.begin(), mOrder.end(), [this](int64_t a, int64_t b) {
            return mData.channels[a].kl > mData.channels[b].kl;
        });
    mBoxes->clearPlottables();
    if (mData.channels.empty()) {
        mBoxes->replot();
        return;
    }
    const QString pair = mData.withTeacher
                             ? QString::fromStdString(mData.teacherTap) + QStringLiteral(" ← ") +
                                   QString::fromStdString(mData.studentTap)
                             : QString::fromStdString(mData.studentTap);
    double meanKl = 0;
    for (const auto& c : mData.channels)
        meanKl += c.kl / static_cast<double>(mData.channels.size());
    mSummary->setText(mData.withTeacher
                          ? tr("%1: %2 channels over %3 samples (%4×%5); mean KL at τ = %6: %7 "
                               "(CWD's loss τ²·mean KL = %8). Click a box for its channel.")
                                .arg(pair)
                                .arg(mData.channels.size())
                                .arg(mData.samples)
                                .arg(mData.height)
                                .arg(mData.width)
                                .arg(mData.tau)
                                .arg(meanKl, 0, 'g', 4)
                                .arg(mData.tau * mData.tau * meanKl, 0, 'g', 4)
                          : tr("%1: %2 channels of the student over %3 samples (%4×%5). Click a box "
                               "for its channel.")
                                .arg(pair)
                                .arg(mData.channels.size())
                                .arg(mData.samples)
                                .arg(mData.height)
                                .arg(mData.width));

    const int first = mFirst->value();
    const int shown = std::min<int>(kPerPage, static_cast<int>(mOrder.size()) - first);
    auto* teacher = mData.withTeacher ? new QCPStatisticalBox(mBoxes->xAxis, mBoxes->yAxis) : nullptr;
    auto* student = new QCPStatisticalBox(mBoxes->xAxis, mBoxes->yAxis);
    auto* kl = mData.withTeacher ? new QCPBars(mBoxes->xAxis, mBoxes->yAxis2) : nullptr;
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    const double offset = mData.withTeacher ? 0.2 : 0.0;
    for (int k = 0; k < shown; ++k) {
        const auto& c = mData.channels[mOrder[first + k]];
        ticker->addTick(k, QString::number(c.channel));
        const auto& s = c.studentQuantiles;
        student->addData(k + offset, s[0], s[1], s[2], s[3], s[4]);
        if (teacher) {
            const auto& t = c.teacherQuantiles;
            teacher->addData(k - offset, t[0], t[1], t[2], t[3], t[4]);
            kl->addData(k, c.kl);
        }
    }
    if (kl) {
        kl->setName(tr("KL"));
        kl->setWidth(0.9);
        kl->setPen(Qt::NoPen);
        kl->setBrush(QColor(0, 0, 0, 18));
        kl->setLayer(QStringLiteral("background"));
    }
    using Styled = std::tuple<QCPStatisticalBox*, QColor, QString>;
    for (const auto& [box, colour, name] : std::initializer_list<Styled>{
             {teacher, kTeacher, tr("teacher")}, {student, kStudent, tr("student")}}) {
        if (!box) continue;
        box->setName(name);
        box->setWidth(mData.withTeacher ? 0.36 : 0.6);
        box->setWhiskerWidth(0.2);
        box->setPen(QPen(colour.darker(130)));
        QColor fill = colour;
        fill.setAlpha(120);
        box->setBrush(fill);
        box->setMedianPen(QPen(colour.darker(160), 2));
    }
    mBoxes->xAxis->setTicker(ticker);
    mBoxes->xAxis->setRange(-0.7, std::max(1, shown) - 0.3);
    mBoxes->yAxis->rescale();
    const QCPRange r = mBoxes->yAxis->range();
    mBoxes->yAxis->setRange(r.lower - 0.05 * r.size(), r.upper + 0.05 * r.size());
    mBoxes->yAxis2->setVisible(mData.withTeacher);
    if (kl) {
        mBoxes->yAxis2->rescale();
        mBoxes->yAxis2->setRangeLower(0);
    }
    mBoxes->xAxis->setLabel(mSortByKl && mData.withTeacher ? tr("channel (worst KL first)") : tr("channel"));
    mBoxes->replot();
    updateDetail();
}

void ChannelDistributionView::selectChannel(int channel) {
    if (channel < 0 || channel >= static_cast<int>(mData.channels.size())) return;
    mSelected = channel;
    // Page to it.
    const auto it = std::find(mOrder.begin(), mOrder.end(), channel);
    const int position = static_cast<int>(it - mOrder.begin());
    if (position < mFirst->value() || position >= mFirst->value() + kPerPage) {
        const QSignalBlocker block(mFirst);
        mFirst->setValue(position / kPerPage * kPerPage);
        rebuild();
        return;
    }
    updateDetail();
}

void ChannelDistributionView::updateDetail() {
    mHistogram->clearGraphs();
    if (mSelected < 0 || mSelected >= static_cast<int>(mData.channels.size())) {
        mDetail->clear();
        mTeacherMap->clear();
        mStudentMap->clear();
        mHistogram->replot();
        return;
    }
    const ChannelDistribution& c = mData.channels[mSelected];
    const int bins = static_cast<int>(c.studentHistogram.size());
    const double width = (c.hi - c.lo) / std::max(1, bins);
    auto addHistogram = [&](const std::vector<double>& h, const QColor& colour, const QString& name) {
        if (h.empty()) return;
        QCPGraph* g = mHistogram->addGraph();
        g->setName(name);
        g->setLineStyle(QCPGraph::lsStepCenter);
        g->setPen(QPen(colour, 1.8));
        QColor fill = colour;
        fill.setAlpha(50);
        g->setBrush(fill);
        for (int b = 0; b < bins; ++b)
            g->addData(c.lo + (b + 0.5) * width, 100.0 * h[b]);
    };
    addHistogram(c.teacherHistogram, kTeacher, tr("teacher"));
    addHistogram(c.studentHistogram, kStudent, tr("student"));
    mHistogram->yAxis->setLabel(tr("share of values (%)"));
    mHistogram->rescaleAxes();
    mHistogram->yAxis->setRangeLower(0);
    mHistogram->replot();
    QString text = tr("<b>Channel %1</b><br>student mean %2, std %3")
                       .arg(c.channel)
                       .arg(c.studentMean, 0, 'g', 4)
                       .arg(c.studentStd, 0, 'g', 4);
    if (mData.withTeacher)
        text += tr("<br>teacher mean %1, std %2<br>KL(p_T‖p_S) at τ = %3: <b>%4</b>")
                    .arg(c.teacherMean, 0, 'g', 4)
                    .arg(c.teacherStd, 0, 'g', 4)
                    .arg(mData.tau)
                    .arg(c.kl, 0, 'g', 4);
    if (c.studentStd == 0.0)
        text += tr("<br><span style=\"color:#b00000\">the student's channel is constant (dead)</span>");
    mDetail->setText(text);
    // Both softmax maps on one scale, so that a flatter student map reads as flatter.
    double hi = 0;
    for (const auto* plane : {&c.teacherSoftmax, &c.studentSoftmax})
        for (float v : *plane)
            hi = std::max(hi, static_cast<double>(v));
    const int h = static_cast<int>(mData.height), w = static_cast<int>(mData.width);
    mTeacherMap->setPixmap(QPixmap::fromImage(mapImage(c.teacherSoftmax, h, w, 0.0, hi)));
    mStudentMap->setPixmap(QPixmap::fromImage(mapImage(c.studentSoftmax, h, w, 0.0, hi)));
}

}  // namespace distillery
