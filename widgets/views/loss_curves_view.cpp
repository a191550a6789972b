#include "widgets/views/loss_curves_view.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSlider>
#include <QTextStream>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/run_files.h"
#include "widgets/views/format.h"

namespace distillery {

namespace {
constexpr int kReplotIntervalMs = 100;  // at most 10 replots a second, however fast steps arrive

const QColor kTermColours[] = {QColor(0x1f77b4), QColor(0xff7f0e), QColor(0x2ca02c), QColor(0x9467bd),
                               QColor(0x8c564b), QColor(0xe377c2), QColor(0xbcbd22), QColor(0x17becf)};

QString csvField(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"'))) return s;
    QString q = s;
    q.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QString number(double v) {
    if (std::isnan(v)) return QStringLiteral("nan");
    const double a = std::abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e5)) return QString::number(v, 'e', 3);
    return QString::number(v, 'g', 4);
}
}  // namespace

LossCurvesView::LossCurvesView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    // Toolbar: smoothing, log scale, fit, export.
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(6, 4, 6, 0);
    auto* smoothingCaption = new QLabel(tr("Smoothing"), this);
    mSmoothingSlider = new QSlider(Qt::Horizontal, this);
    mSmoothingSlider->setRange(0, 99);
    mSmoothingSlider->setMaximumWidth(160);
    mSmoothingSlider->setToolTip(tr("Exponential moving average of the loss curves (raw data stays faint)"));
    mSmoothingLabel = new QLabel(this);
    mSmoothingLabel->setMinimumWidth(QFontMetrics(font()).horizontalAdvance(QStringLiteral("0.00")) + 4);
    mLogBox = new QCheckBox(tr("Log scale"), this);
    mLogBox->setToolTip(tr("Logarithmic loss axis"));
    auto* fit = new QPushButton(tr("Fit"), this);
    fit->setToolTip(tr("Show all data and follow new points (or double-click the plot)"));
    auto* exportButton = new QToolButton(this);
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* exportMenu = new QMenu(exportButton);
    exportMenu->addAction(tr("Save as PNG…"), this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Save plot"), QString(), tr("PNG images (*.png)"));
        if (!path.isEmpty()) exportPng(path);
    });
    exportMenu->addAction(tr("Save as CSV…"), this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Save curves"), QString(), tr("CSV files (*.csv)"));
        if (!path.isEmpty()) exportCsv(path);
    });
    exportButton->setMenu(exportMenu);
    bar->addWidget(smoothingCaption);
    bar->addWidget(mSmoothingSlider);
    bar->addWidget(mSmoothingLabel);
    bar->addSpacing(12);
    bar->addWidget(mLogBox);
    bar->addSpacing(12);
    mBaselineGap = new QLabel(this);
    mBaselineGap->setObjectName("baselineGap");
    mBaselineGap->setToolTip(
        tr("The validation metric against finished runs of the same student trained alone on "
           "the same data and schedule (dashed)"));
    bar->addWidget(mBaselineGap);
    bar->addStretch(1);
    bar->addWidget(fit);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    mPlot = new QCustomPlot(this);
    mPlot->setMinimumSize(200, 160);
    mPlot->setNoAntialiasingOnDrag(true);
    mPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    layout->addWidget(mPlot, 1);

    mReadout = new QLabel(this);
    mReadout->setTextFormat(Qt::RichText);
    mReadout->setWordWrap(true);
    mReadout->setContentsMargins(6, 0, 6, 4);
    mReadout->setText(tr("Hover over the plot to read values."));
    layout->addWidget(mReadout);

    // Upper rect: losses (left) and learning rate (right). Lower rect: the validation metric.
    QCPAxisRect* lossRect = mPlot->axisRect();
    mPlot->yAxis->setLabel(tr("loss"));
    mPlot->yAxis2->setVisible(true);
    mPlot->yAxis2->setLabel(tr("learning rate"));
    mPlot->yAxis2->setLabelColor(QColor(0x808080));
    mPlot->yAxis2->setTickLabelColor(QColor(0x808080));
    mPlot->xAxis->setTickLabels(true);
    lossRect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    lossRect->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    lossRect->setRangeDragAxes(mPlot->xAxis, mPlot->yAxis);
    lossRect->setRangeZoomAxes(mPlot->xAxis, mPlot->yAxis);

    mMetricRect = new QCPAxisRect(mPlot);
    mPlot->plotLayout()->addElement(1, 0, mMetricRect);
    mPlot->plotLayout()->setRowStretchFactor(0, 3);
    mPlot->plotLayout()->setRowStretchFactor(1, 1);
    mMetricRect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
    mMetricRect->axis(QCPAxis::atLeft)->setLabel(tr("validation"));
    mMetricRect->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);  // the rect is short: few labels
    mMetricRect->setRangeDrag(Qt::Horizontal);
    mMetricRect->setRangeZoom(Qt::Horizontal);
    auto* margins = new QCPMarginGroup(mPlot);
    lossRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    mMetricRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    // Both rects share the step axis.
    QCPAxis* metricX = mMetricRect->axis(QCPAxis::atBottom);
    connect(mPlot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), metricX,
            [metricX](const QCPRange& r) {
                if (metricX->range() != r) metricX->setRange(r);
            });
    connect(metricX, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), mPlot->xAxis,
            [this](const QCPRange& r) {
                if (mPlot->xAxis->range() != r) mPlot->xAxis->setRange(r);
            });

    mPlot->legend->setVisible(false);  // shown with its first entry (an empty framed box otherwise)
    mPlot->legend->setBrush(QColor(255, 255, 255, 200));
    mPlot->legend->setBorderPen(QPen(QColor(0xc0c0c0)));
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.9);
    mPlot->legend->setFont(legendFont);
    // The legend beside the plots, outside the data: a column on the right, at the top.
    auto* legendColumn = new QCPLayoutGrid;
    mPlot->plotLayout()->addElement(0, 1, legendColumn);
    legendColumn->addElement(0, 0, mPlot->legend);
    // The filler takes the rest of the height. A plain element, not an empty grid: a grid's maximum height is
    // the sum of its rows', so an empty one (and the legend before its first curve) would cap the whole top
    // row, and the loss plot shrank to a strip under an oversized validation plot until the first step.
    legendColumn->addElement(1, 0, new QCPLayoutElement(mPlot));
    legendColumn->setRowStretchFactor(0, 0.001);
    legendColumn->setRowStretchFactor(1, 1);
    legendColumn->setMargins(QMargins(0, 6, 6, 0));
    mPlot->plotLayout()->setColumnStretchFactor(0, 1);
    mPlot->plotLayout()->setColumnStretchFactor(1, 0.001);

    mCursorLoss = new QCPItemStraightLine(mPlot);
    mCursorMetric = new QCPItemStraightLine(mPlot);
    for (auto* line : {mCursorLoss, mCursorMetric}) {
        line->setPen(QPen(QColor(0, 0, 0, 130), 1, Qt::DashLine));
        line->setVisible(false);
        line->setSelectable(false);
    }
    mCursorMetric->setClipAxisRect(mMetricRect);
    mCursorMetric->point1->setAxes(metricX, mMetricRect->axis(QCPAxis::atLeft));
    mCursorMetric->point2->setAxes(metricX, mMetricRect->axis(QCPAxis::atLeft));

    mReplotTimer = new QTimer(this);
    mReplotTimer->setSingleShot(true);
    mReplotTimer->setInterval(kReplotIntervalMs);
    connect(mReplotTimer, &QTimer::timeout, this, &LossCurvesView::doReplot);

    connect(mSmoothingSlider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });
    connect(mLogBox, &QCheckBox::toggled, this, &LossCurvesView::setLogScale);
    connect(fit, &QPushButton::clicked, this, &LossCurvesView::fitAll);
    connect(mPlot, &QCustomPlot::mouseMove, this, &LossCurvesView::onMouseMove);
    connect(mPlot, &QCustomPlot::mousePress, this, [this] { stopFollowing(); });
    connect(mPlot, &QCustomPlot::mouseWheel, this, [this] { stopFollowing(); });
    connect(mPlot, &QCustomPlot::mouseDoubleClick, this, [this] { fitAll(); });
    // Clicking a legend entry hides or shows its curve.
    connect(mPlot, &QCustomPlot::legendClick, this,
            [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
                auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
                if (!entry) return;
                QCPAbstractPlottable* p = entry->plottable();
                p->setVisible(!p->visible());
                entry->setTextColor(p->visible() ? Qt::black : QColor(0xb0b0b0));
                for (const auto& c : mCurves)
                    if (c->graph == p && c->raw) c->raw->setVisible(p->visible() && mSmoothing > 0);
                scheduleReplot();
            });

    setSmoothing(0.0);
    doReplot();
}

LossCurvesView::~LossCurvesView() = default;

LossCurvesView::Kind LossCurvesView::kindOf(const QString& name) {
    if (name == QLatin1String("lr")) return Kind::Lr;
    if (name.startsWith(QLatin1String("val/"))) return Kind::Metric;
    return Kind::Loss;
}

QColor LossCurvesView::colourFor(const QString& name) {
    auto it = mColours.constFind(name);
    if (it != mColours.constEnd()) return *it;
    QColor c;
    if (name == QLatin1String("loss/total"))
        c = QColor(0x202020);
    else if (name == QLatin1String("lr"))
        c = QColor(0x909090);
    else if (name.startsWith(QLatin1String("val/")) && name.count(QLatin1Char('/')) == 1)
        c = QColor(0xd62728);
    else if (name.startsWith(QLatin1String("val/"))) {
        // Peers and widths: shades apart from the main metric's red, in the order they appear.
        static const QColor kOthers[] = {QColor(0x9467bd), QColor(0x8c564b), QColor(0xe377c2),
                                         QColor(0x17becf), QColor(0xbcbd22)};
        int others = 0;
        for (auto k = mColours.constBegin(); k != mColours.constEnd(); ++k)
            if (k.key().startsWith(QLatin1String("val/")) && k.key().count(QLatin1Char('/')) > 1) ++others;
        c = kOthers[others % (sizeof(kOthers) / sizeof(kOthers[0]))];
    } else {
        int terms = 0;
        for (auto k = mColours.constBegin(); k != mColours.constEnd(); ++k)
            if (kindOf(k.key()) == Kind::Loss && k.key() != QLatin1String("loss/total")) ++terms;
        c = kTermColours[terms % (sizeof(kTermColours) / sizeof(kTermColours[0]))];
    }
    mColours.insert(name, c);
    return c;
}

LossCurvesView::Curve& LossCurvesView::curve(const QString& name, Kind kind, bool overlay,
                                             const QString& label, int overlayIndex) {
    if (!overlay)
        for (auto& c : mCurves)
            if (!c->overlay && c->name == name) return *c;
    auto c = std::make_unique<Curve>();
    c->name = name;
    c->kind = kind;
    c->overlay = overlay;
    QCPAxis* x = kind == Kind::Metric ? mMetricRect->axis(QCPAxis::atBottom) : mPlot->xAxis;
    QCPAxis* y = kind == Kind::Metric ? mMetricRect->axis(QCPAxis::atLeft)
                 : kind == Kind::Lr   ? mPlot->yAxis2
                                      : mPlot->yAxis;
    if (kind == Kind::Loss && !overlay) {
        // The faint raw curve sits underneath the smoothed one and stays out of the legend.
        c->raw = mPlot->addGraph(x, y);
        c->raw->removeFromLegend();
        c->raw->setSelectable(QCP::stNone);
    }
    c->graph = mPlot->addGraph(x, y);
    c->graph->setSelectable(QCP::stNone);
    c->graph->setName(overlay ? label + QStringLiteral(" · ") + name : name);
    const QColor colour = colourFor(name);
    QPen pen(colour);
    pen.setWidthF(name == QLatin1String("loss/total") ? 2.0 : 1.4);
    if (overlay) {
        static const Qt::PenStyle styles[] = {Qt::DashLine, Qt::DotLine, Qt::DashDotLine, Qt::DashDotDotLine};
        pen.setStyle(styles[overlayIndex % 4]);
        pen.setWidthF(1.2);
    }
    c->graph->setPen(pen);
    if (kind == Kind::Metric)
        c->graph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, colour, overlay ? Qt::white : colour, 5));
    if (c->raw) {
        QColor faint = colour;
        faint.setAlpha(60);
        c->raw->setPen(QPen(faint, 1.0));
        c->raw->setVisible(mSmoothing > 0);
    }
    mCurves.push_back(std::move(c));
    if (kind == Kind::Metric && !overlay) {
        const QString metric = name.section(QLatin1Char('/'), -1);  // val/w4/top1 → top1
        mMetricRect->axis(QCPAxis::atLeft)
            ->setLabel(metric == QLatin1String("miou")   ? tr("val mIoU (%)")
                       : metric == QLatin1String("top1") ? tr("val top-1 (%)")
                                                         : tr("val %1").arg(metric));
    }
    return *mCurves.back();
}

void LossCurvesView::resmooth(Curve& c) {
    if (c.raw) c.raw->setData(c.keys, c.values, true);
    if (c.kind != Kind::Loss || mSmoothing <= 0) {
        c.graph->setData(c.keys, c.values, true);
        c.ema = c.values.isEmpty() ? 0 : c.values.last();
        return;
    }
    QVector<double> smoothed(c.values.size());
    double s = 0;
    bool first = true;
    for (int i = 0; i < c.values.size(); ++i) {
        const double v = c.values[i];
        if (std::isfinite(v)) {
            s = first ? v : mSmoothing * s + (1 - mSmoothing) * v;
            first = false;
        }
        smoothed[i] = first ? v : s;
    }
    c.ema = s;
    c.graph->setData(c.keys, smoothed, true);
}

void LossCurvesView::append(Curve& c, double key, double value) {
    if (!c.keys.isEmpty() && key <= c.keys.last()) {
        // A resumed run trains again from its last checkpoint: drop the points it will redo.
        const int keep =
            static_cast<int>(std::lower_bound(c.keys.begin(), c.keys.end(), key) - c.keys.begin());
        c.keys.resize(keep);
        c.values.resize(keep);
        c.keys.append(key);
        c.values.append(value);
        resmooth(c);
        return;
    }
    const bool first = c.keys.isEmpty();
    c.keys.append(key);
    c.values.append(value);
    if (c.raw) c.raw->addData(key, value);
    if (c.kind == Kind::Loss && mSmoothing > 0) {
        if (std::isfinite(value)) c.ema = first ? value : mSmoothing * c.ema + (1 - mSmoothing) * value;
        c.graph->addData(key, c.ema);
    } else {
        c.graph->addData(key, value);
    }
}

void LossCurvesView::removeCurves(bool overlays) {
    for (auto it = mCurves.begin(); it != mCurves.end();) {
        if ((*it)->overlay != overlays) {
            ++it;
            continue;
        }
        if ((*it)->raw) mPlot->removeGraph((*it)->raw);
        mPlot->removeGraph((*it)->graph);
        it = mCurves.erase(it);
    }
}

void LossCurvesView::clear() {
    removeCurves(false);
    // Keep the colours that overlays use so the same term keeps its colour across runs.
    QHash<QString, QColor> kept;
    for (const auto& c : mCurves)
        kept.insert(c->name, mColours.value(c->name));
    mColours = kept;
    mMetricRect->axis(QCPAxis::atLeft)->setLabel(tr("validation"));
    mReadout->setText(tr("Hover over the plot to read values."));
    mReadoutPlain.clear();
    mFollow = true;
    scheduleReplot();
}

void LossCurvesView::addStep(const StepEvent& event) {
    // The initialisation stage's steps sit before training's step 1, with their own total (as in
    // metrics.jsonl).
    const double key = static_cast<double>(event.init ? event.step - event.totalSteps : event.step);
    for (const auto& [term, value] : event.terms) {
        const QString name = QStringLiteral("loss/") + QString::fromStdString(term);
        append(curve(name, Kind::Loss), key, value);
    }
    append(curve(event.init ? QStringLiteral("loss/init:total") : QStringLiteral("loss/total"), Kind::Loss),
           key, event.total);
    append(curve(QStringLiteral("lr"), Kind::Lr), key, event.lr);
    scheduleReplot();
}

namespace {

/** The curve a validation metric is drawn as, empty when it is not drawn: the main metric (top1, or miou for
 *  segmentation, which also reports a pixel accuracy named top1), and the same metric of each peer
 * (peer1/top1) or width of a once-QAT model (w4/top1). */
QString plottedMetric(const std::string& name, bool seg) {
    const auto slash = name.find('/');
    const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    if (base != (seg ? "miou" : "top1")) return {};
    if (slash != std::string::npos) {
        const std::string prefix = name.substr(0, slash);
        const bool peer = prefix.rfind("peer", 0) == 0, width = prefix.size() == 2 && prefix[0] == 'w';
        if (!peer && !width) return {};
    }
    return QStringLiteral("val/") + QString::fromStdString(name);
}

}  // namespace

void LossCurvesView::addEpoch(const EpochEvent& event) {
    const bool seg = std::any_of(event.metrics.begin(), event.metrics.end(),
                                 [](const auto& m) { return m.first == "miou"; });
    for (const auto& [name, value] : event.metrics) {
        const QString plotted = plottedMetric(name, seg);
        if (plotted.isEmpty()) continue;
        append(curve(plotted, Kind::Metric), static_cast<double>(event.step), value);
    }
    updateBaselineGap();
    scheduleReplot();
}

void LossCurvesView::setBaseline(const BaselineCurve& curve) {
    mBaseline = curve;
    if (mBaselineGraph) {
        mPlot->removeGraph(mBaselineGraph);
        mBaselineGraph = nullptr;
    }
    if (!curve.empty()) {
        mBaselineGraph =
            mPlot->addGraph(mMetricRect->axis(QCPAxis::atBottom), mMetricRect->axis(QCPAxis::atLeft));
        mBaselineGraph->setSelectable(QCP::stNone);
        const int runs = static_cast<int>(curve.runs.size());
        mBaselineGraph->setName(tr("student alone (%n run(s))", "", runs));
        QPen pen(QColor(0x707070), 1.4, Qt::DashLine);
        mBaselineGraph->setPen(pen);
        mBaselineGraph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QColor(0x707070), Qt::white, 5));
        for (size_t i = 0; i < curve.epochs.size(); ++i)
            mBaselineGraph->addData(static_cast<double>(curve.steps[i]), curve.values[i]);
    }
    updateBaselineGap();
    scheduleReplot();
}

QString LossCurvesView::baselineGapText() const {
    return mBaselineGap->text().remove(QRegularExpression(QStringLiteral("<[^>]*>")));
}

void LossCurvesView::updateBaselineGap() {
    mBelowBaseline = false;
    mBaselineGap->clear();
    if (mBaseline.empty()) return;
    // The run's own metric curve, at the latest evaluation that falls on one of the baseline's epochs.
    const Curve* own = nullptr;
    for (const auto& c : mCurves)
        if (!c->overlay && c->kind == Kind::Metric && c->name.count(QLatin1Char('/')) == 1) own = c.get();
    const QString metric = metricText(mBaseline.metric);
    if (!own || own->keys.isEmpty()) {
        mBaselineGap->setText(
            tr("student alone: %1 %2 at the end").arg(metric).arg(mBaseline.values.back(), 0, 'f', 2));
        return;
    }
    for (int i = own->keys.size() - 1; i >= 0; --i)
        for (size_t e = 0; e < mBaseline.epochs.size(); ++e)
            if (static_cast<int64_t>(own->keys[i]) == mBaseline.steps[e]) {
                const double gap = own->values[i] - mBaseline.values[e];
                mBelowBaseline = gap < 0;
                const QString text = tr("%1 vs the student alone at epoch %2: %3")
                                         .arg(metric)
                                         .arg(mBaseline.epochs[e])
                                         .arg(QString::asprintf("%+.2f", gap));
                mBaselineGap->setText(mBelowBaseline
                                          ? QStringLiteral("<span style=\"color:#b00000\">⚠ %1</span>")
                                                .arg(text.toHtmlEscaped())
                                          : text.toHtmlEscaped());
                return;
            }
}

bool LossCurvesView::parseRun(const QString& runDir, QVector<QPair<QString, QPair<double, double>>>* points,
                              QString* error) {
    try {
        RunPaths paths{runDir.toStdString()};
        const auto records = readMetrics(paths.metrics());
        bool seg = false;
        for (const auto& r : records)
            if (r.split == Split::Val && r.name == "miou") seg = true;
        for (const auto& r : records) {
            QString name;
            if (r.split == Split::Train && (r.name.rfind("loss/", 0) == 0 || r.name == "lr"))
                name = QString::fromStdString(r.name);
            else if (r.split == Split::Val)
                name = plottedMetric(r.name, seg);
            if (name.isEmpty()) continue;
            points->append({name, {static_cast<double>(r.step), r.value}});
        }
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

bool LossCurvesView::loadRun(const QString& runDir, QString* error) {
    QVector<QPair<QString, QPair<double, double>>> points;
    if (!parseRun(runDir, &points, error)) return false;
    clear();
    // loss/total and lr after the terms, as live, whatever order the file has.
    for (const auto& p : points)
        if (kindOf(p.first) == Kind::Loss && p.first != QLatin1String("loss/total"))
            curve(p.first, Kind::Loss);
    for (const auto& p : points) {
        Curve& c = curve(p.first, kindOf(p.first));
        c.keys.append(p.second.first);
        c.values.append(p.second.second);
    }
    for (auto& c : mCurves) {
        if (c->overlay) continue;
        // Records are in file order; a resumed run's file is already truncated, but sort to be safe.
        if (!std::is_sorted(c->keys.begin(), c->keys.end())) {
            std::vector<std::pair<double, double>> kv;
            for (int i = 0; i < c->keys.size(); ++i)
                kv.emplace_back(c->keys[i], c->values[i]);
            std::stable_sort(kv.begin(), kv.end(), [](auto& a, auto& b) { return a.first < b.first; });
            for (int i = 0; i < c->keys.size(); ++i)
                std::tie(c->keys[i], c->values[i]) = kv[i];
        }
        resmooth(*c);
    }
    updateBaselineGap();
    fitAll();
    return true;
}

bool LossCurvesView::addOverlay(const QString& runDir, const QString& label, QString* error) {
    QVector<QPair<QString, QPair<double, double>>> points;
    if (!parseRun(runDir, &points, error)) return false;
    const int index = mOverlayLabels.size();
    mOverlayLabels.append(label);
    std::map<QString, Curve*> byName;
    std::vector<QString> order;
    for (const auto& p : points) {
        auto it = byName.find(p.first);
        if (it == byName.end()) {
            it = byName.emplace(p.first, &curve(p.first, kindOf(p.first), true, label, index)).first;
            order.push_back(p.first);
        }
        it->second->keys.append(p.second.first);
        it->second->values.append(p.second.second);
    }
    for (const auto& name : order)
        resmooth(*byName[name]);
    scheduleReplot();
    return true;
}

void LossCurvesView::clearOverlays() {
    removeCurves(true);
    mOverlayLabels.clear();
    scheduleReplot();
}

void LossCurvesView::setSmoothing(double alpha) {
    alpha = std::clamp(alpha, 0.0, 0.99);
    const int sliderValue = static_cast<int>(std::lround(alpha * 100));
    mSmoothing = alpha;
    if (mSmoothingSlider->value() != sliderValue) {
        const QSignalBlocker block(mSmoothingSlider);
        mSmoothingSlider->setValue(sliderValue);
    }
    mSmoothingLabel->setText(QString::number(alpha, 'f', 2));
    for (auto& c : mCurves) {
        if (c->raw) c->raw->setVisible(mSmoothing > 0 && c->graph->visible());
        if (c->kind == Kind::Loss) resmooth(*c);
    }
    scheduleReplot();
}

void LossCurvesView::setLogScale(bool on) {
    mLogChosen = true;  // the user's choice from now on, not the automatic one
    applyLogScale(on);
}

void LossCurvesView::applyLogScale(bool on) {
    mLogScale = on;
    if (mLogBox->isChecked() != on) {
        const QSignalBlocker block(mLogBox);
        mLogBox->setChecked(on);
    }
    if (on) {
        mPlot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        mPlot->yAxis->setNumberFormat(QStringLiteral("gb"));
    } else {
        mPlot->yAxis->setScaleType(QCPAxis::stLinear);
        mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        mPlot->yAxis->setNumberFormat(QStringLiteral("g"));
    }
    mFollow = true;
    scheduleReplot();
}

void LossCurvesView::scheduleReplot() {
    if (!mReplotTimer->isActive()) mReplotTimer->start();
}

void LossCurvesView::stopFollowing() {
    mFollow = false;
}

void LossCurvesView::fitAll() {
    mFollow = true;
    doReplot();
}

bool LossCurvesView::termsSpanDecades() const {
    // The latest value of each loss curve of the run (terms and total): two orders of magnitude or more
    // between them, and a linear axis shows the small ones as a flat line at zero.
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const auto& c : mCurves) {
        if (c->overlay || c->kind != Kind::Loss || c->values.isEmpty() || !c->graph->visible()) continue;
        const double v = c->values.last();
        if (!(v > 0)) return false;  // a log axis cannot show it
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    return hi > 0 && hi / lo >= 100.0;
}

void LossCurvesView::doReplot() {
    mReplotTimer->stop();
    mPlot->legend->setVisible(mPlot->legend->itemCount() > 0);
    // Terms whose scales differ by orders of magnitude go on a log axis, until the user chooses.
    if (!mLogChosen && mLogScale != termsSpanDecades()) applyLogScale(!mLogScale);
    if (mFollow) {
        bool any = false;
        for (const auto& c : mCurves)
            any |= !c->keys.isEmpty();
        if (any) {
            // Union of the key ranges of both rects (xAxis->rescale sees only the upper rect's graphs).
            QCPRange x;
            bool haveX = false;
            for (const auto& c : mCurves) {
                if (!c->graph->visible() || c->keys.isEmpty()) continue;
                const QCPRange r(c->keys.first(), c->keys.last());
                if (haveX)
                    x.expand(r);
                else
                    x = r;
                haveX = true;
            }
            if (x.size() <= 0) x = QCPRange(x.lower - 1, x.upper + 1);
            mPlot->xAxis->setRange(x);
            mPlot->yAxis->rescale(true);
            mPlot->yAxis2->rescale(true);
            mMetricRect->axis(QCPAxis::atLeft)->rescale(true);
            for (QCPAxis* axis : {mPlot->yAxis, mPlot->yAxis2, mMetricRect->axis(QCPAxis::atLeft)}) {
                QCPRange r = axis->range();
                if (axis->scaleType() == QCPAxis::stLogarithmic) {
                    if (r.lower > 0) axis->setRange(r.lower / 1.3, r.upper * 1.3);
                } else if (r.size() <= 1e-12) {
                    const double pad = std::max(std::abs(r.center()) * 0.1, 1e-3);
                    axis->setRange(r.center() - pad, r.center() + pad);
                } else {
                    axis->setRange(r.lower - r.size() * 0.05, r.upper + r.size() * 0.05);
                }
            }
            // One value on an axis (a single validation point): QCustomPlot's rescale keeps the previous span
            // around it, which can be hundreds of units wide; centre it with a modest margin instead.
            for (QCPAxis* axis : {mPlot->yAxis, mPlot->yAxis2, mMetricRect->axis(QCPAxis::atLeft)}) {
                if (axis->scaleType() == QCPAxis::stLogarithmic) continue;
                double lo = std::numeric_limits<double>::infinity(), hi = -lo;
                for (const auto& c : mCurves) {
                    if (!c->graph->visible() || c->graph->valueAxis() != axis) continue;
                    for (double v : c->values) {
                        lo = std::min(lo, v);
                        hi = std::max(hi, v);
                    }
                }
                if (lo <= hi && hi - lo <= 1e-12) {
                    const double pad = std::max(std::abs(lo) * 0.05, 1e-3);
                    axis->setRange(lo - pad, hi + pad);
                }
            }
        }
        // Before the first evaluation the metric axis has nothing to fit: show the percent scale.
        QCPAxis* metricY = mMetricRect->axis(QCPAxis::atLeft);
        bool metricData = mBaselineGraph && mBaselineGraph->dataCount() > 0;
        for (const auto& c : mCurves)
            metricData |= c->kind == Kind::Metric && c->graph->visible() && !c->values.isEmpty();
        if (!metricData) metricY->setRange(0, 100);
    }
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

QStringList LossCurvesView::curveNames() const {
    QStringList names;
    for (const auto& c : mCurves)
        if (!c->overlay) names << c->name;
    return names;
}

int LossCurvesView::pointCount(const QString& name) const {
    for (const auto& c : mCurves)
        if (!c->overlay && c->name == name) return c->graph->dataCount();
    return 0;
}

QVector<double> LossCurvesView::displayedValues(const QString& name) const {
    QVector<double> out;
    for (const auto& c : mCurves) {
        if (c->overlay || c->name != name) continue;
        for (auto it = c->graph->data()->constBegin(); it != c->graph->data()->constEnd(); ++it)
            out.append(it->value);
    }
    return out;
}

bool LossCurvesView::exportPng(const QString& path, int width, int height) {
    if (width <= 0 || height <= 0) {
        const bool laidOut = mPlot->width() >= 100 && mPlot->height() >= 80;
        width = laidOut ? mPlot->width() : 1200;
        height = laidOut ? mPlot->height() : 700;
    }
    mReplotTimer->stop();
    doReplot();
    return mPlot->savePng(path, width, height);
}

bool LossCurvesView::exportCsv(const QString& path) const {
    std::vector<const Curve*> curves;
    for (const auto& c : mCurves)
        if (!c->overlay) curves.push_back(c.get());
    std::vector<double> steps;
    for (const auto* c : curves)
        steps.insert(steps.end(), c->keys.begin(), c->keys.end());
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());

    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream out(&file);
    out << "step";
    for (const auto* c : curves)
        out << ',' << csvField(c->name);
    out << '\n';
    std::vector<int> cursor(curves.size(), 0);
    for (double step : steps) {
        out << QString::number(step, 'g', 15);
        for (size_t i = 0; i < curves.size(); ++i) {
            out << ',';
            const Curve* c = curves[i];
            int& k = cursor[i];
            while (k < c->keys.size() && c->keys[k] < step)
                ++k;
            if (k < c->keys.size() && c->keys[k] == step) out << QString::number(c->values[k], 'g', 10);
        }
        out << '\n';
    }
    out.flush();
    return file.commit();
}

QString LossCurvesView::readout() const {
    return mReadoutPlain;
}

void LossCurvesView::showReadoutAt(double step) {
    // Snap to the nearest recorded step of any current curve.
    double best = step, bestDistance = std::numeric_limits<double>::infinity();
    for (const auto& c : mCurves) {
        if (c->overlay || c->keys.isEmpty() || !c->graph->visible()) continue;
        auto it = std::lower_bound(c->keys.begin(), c->keys.end(), step);
        for (auto cand : {it, it == c->keys.begin() ? it : it - 1}) {
            if (cand == c->keys.end()) continue;
            if (std::abs(*cand - step) < bestDistance) {
                bestDistance = std::abs(*cand - step);
                best = *cand;
            }
        }
    }
    if (!std::isfinite(bestDistance)) return;
    QStringList parts, plain;
    parts << tr("<b>step %1</b>").arg(static_cast<qint64>(best));
    plain << tr("step %1").arg(static_cast<qint64>(best));
    for (const auto& c : mCurves) {
        if (c->overlay || c->keys.isEmpty() || !c->graph->visible()) continue;
        // The metric is only measured per epoch: show the latest value at or before the step.
        auto it = std::upper_bound(c->keys.begin(), c->keys.end(), best);
        if (it == c->keys.begin()) continue;
        const int i = static_cast<int>(it - c->keys.begin()) - 1;
        if (c->kind != Kind::Metric && c->keys[i] != best) continue;
        QString value = number(c->values[i]);
        if (c->kind == Kind::Loss && mSmoothing > 0) {
            auto d = c->graph->data()->at(i);
            value = tr("%1 (raw %2)").arg(number(d->value), value);
        }
        plain << c->name + QLatin1Char(' ') + value;
        // Each entry is unbreakable: the line wraps between entries only.
        value.replace(QLatin1Char(' '), QStringLiteral("&nbsp;"));
        parts << QStringLiteral(
                     "<span style='white-space:nowrap'><span "
                     "style='color:%1'>&#9632;</span>&nbsp;%2&nbsp;%3</span>")
                     .arg(mColours.value(c->name).name(), c->name.toHtmlEscaped(), value);
    }
    mReadout->setText(parts.join(QStringLiteral(" &nbsp; ")));
    mReadoutPlain = plain.join(QStringLiteral("  "));
    for (auto* line : {mCursorLoss, mCursorMetric}) {
        line->point1->setCoords(best, 0);
        line->point2->setCoords(best, 1);
        line->setVisible(true);
    }
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

void LossCurvesView::onMouseMove(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) return;  // dragging: no read-out
    const QPointF pos = event->position();
    QCPAxisRect* rect = nullptr;
    if (mPlot->axisRect()->rect().contains(pos.toPoint()))
        rect = mPlot->axisRect();
    else if (mMetricRect->rect().contains(pos.toPoint()))
        rect = mMetricRect;
    if (!rect) {
        if (mCursorLoss->visible()) {
            mCursorLoss->setVisible(false);
            mCursorMetric->setVisible(false);
            mPlot->replot(QCustomPlot::rpQueuedReplot);
        }
        return;
    }
    showReadoutAt(rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x()));
}

}  // namespace distillery
