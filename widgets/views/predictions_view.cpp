#include "widgets/views/predictions_view.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "core/dataset.h"
#include "widgets/views/heatmap.h"

namespace distillery {

/** Detections shown in the predictions view: those at or above this score (AP counts all of the top 100). */
constexpr double kDetectionDisplayScore = 0.3;

namespace {
/** Keeps a painted grid as tall as its content, so a QScrollArea (widgetResizable) scrolls it. */
void fitHeight(QWidget* w, int contentHeight) {
    w->setMinimumHeight(std::max(80, contentHeight));
}

double maskAccuracy(const Mask& truth, const Mask& predicted) {
    if (truth.data.size() != predicted.data.size() || truth.data.empty()) return std::nan("");
    int64_t valid = 0, correct = 0;
    for (size_t i = 0; i < truth.data.size(); ++i) {
        if (truth.data[i] == 255) continue;
        ++valid;
        correct += truth.data[i] == predicted.data[i];
    }
    return valid ? 100.0 * correct / valid : std::nan("");
}
}  // namespace

/** Classification: one card per sample with its image, true label and the two models' predictions. */
class SampleCards : public QWidget {
public:
    struct Card {
        qint64 index = 0;
        QImage image;
        QString truth, student, teacher;
        bool studentWrong = false, teacherWrong = false, hasTeacher = false;
    };
    explicit SampleCards(QWidget* parent) : QWidget(parent) {}
    void setCards(QVector<Card> cards) {
        mCards = std::move(cards);
        relayout();
        update();
    }
    int count() const { return mCards.size(); }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.fillRect(rect(), palette().base());
        if (mCards.isEmpty()) {
            p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
            p.drawText(rect(), Qt::AlignCenter, PredictionsView::tr("No samples to show."));
            return;
        }
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        const QFontMetrics fm(font());
        const int cols = columns();
        for (int i = 0; i < mCards.size(); ++i) {
            const Card& c = mCards[i];
            const QRect r(kGap + (i % cols) * (kCardW + kGap), kGap + (i / cols) * (cardHeight() + kGap),
                          kCardW, cardHeight());
            p.setPen(QPen(c.studentWrong ? QColor(0xd93025) : QColor(0xd0d7de), c.studentWrong ? 2 : 1));
            p.setBrush(c.studentWrong ? QColor(0xfdecea) : QColor(0xf6f8fa));
            p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 4, 4);
            const QRect imageRect(r.left() + (kCardW - kImage) / 2, r.top() + 6, kImage, kImage);
            if (!c.image.isNull()) {
                const QSize s = c.image.size().scaled(imageRect.size(), Qt::KeepAspectRatio);
                p.drawImage(QRect(imageRect.center() - QPoint(s.width() / 2, s.height() / 2), s), c.image);
            }
            int y = imageRect.bottom() + 4;
            const auto line = [&](const QString& text, const QColor& colour, bool bold = false) {
                QFont f = font();
                f.setBold(bold);
                if (!bold) f.setPointSizeF(f.pointSizeF() * 0.9);  // predictions: long class names fit
                p.setFont(f);
                p.setPen(colour);
                p.drawText(QRect(r.left() + 6, y, kCardW - 12, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                           QFontMetrics(f).elidedText(text, Qt::ElideRight, kCardW - 12));
                y += fm.height();
            };
            const QColor text = palette().color(QPalette::Text);
            line(PredictionsView::tr("#%1 %2").arg(c.index).arg(c.truth), text, true);
            line(PredictionsView::tr("S: %1").arg(c.student),
                 c.studentWrong ? QColor(0xb3261e) : QColor(0x1e7b34));
            if (c.hasTeacher)
                line(PredictionsView::tr("T: %1").arg(c.teacher),
                     c.teacherWrong ? QColor(0xb3261e) : QColor(0x1e7b34));
        }
    }
    void resizeEvent(QResizeEvent* e) override {
        QWidget::resizeEvent(e);
        relayout();
    }

private:
    static constexpr int kCardW = 136, kImage = 64, kGap = 6;
    int cardHeight() const { return 6 + kImage + 4 + 3 * QFontMetrics(font()).height() + 6; }
    int columns() const { return std::max(1, (width() - kGap) / (kCardW + kGap)); }
    void relayout() {
        const int rows = (mCards.size() + columns() - 1) / columns();
        fitHeight(this, kGap + rows * (cardHeight() + kGap));
    }
    QVector<Card> mCards;
};

/** Segmentation: image | ground truth | teacher | student per row, with per-row pixel accuracy. */
class SegmentationRows : public QWidget {
public:
    struct Row {
        qint64 index = 0;
        QImage image, truth, teacher, student;
        double teacherAcc = std::nan(""), studentAcc = std::nan("");
        QString teacherNote, studentNote;  // detection: what the boxes found, in place of pixel accuracy
    };
    explicit SegmentationRows(QWidget* parent) : QWidget(parent) {}
    void setRows(QVector<Row> rows, bool hasTeacher) {
        mRows = std::move(rows);
        mHasTeacher = hasTeacher;
        relayout();
        update();
    }
    int count() const { return mRows.size(); }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.fillRect(rect(), palette().base());
        if (mRows.isEmpty()) {
            p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
            p.drawText(rect(), Qt::AlignCenter, PredictionsView::tr("No samples to show."));
            return;
        }
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        const QFontMetrics fm(font());
        const int s = cell();
        QStringList titles{PredictionsView::tr("image"), PredictionsView::tr("ground truth")};
        if (mHasTeacher) titles << PredictionsView::tr("teacher");
        titles << PredictionsView::tr("student");
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.setPen(palette().color(QPalette::Text));
        for (int k = 0; k < titles.size(); ++k)
            p.drawText(QRect(kIndexW + k * (s + kGap), 2, s, fm.height()), Qt::AlignCenter, titles[k]);
        p.setFont(font());
        for (int i = 0; i < mRows.size(); ++i) {
            const Row& r = mRows[i];
            const int top = headerHeight() + i * rowHeight();
            p.setPen(palette().color(QPalette::Text));
            p.drawText(QRect(0, top, kIndexW - 6, s), Qt::AlignRight | Qt::AlignVCenter,
                       QStringLiteral("#%1").arg(r.index));
            QVector<QImage> images{r.image, r.truth};
            QVector<double> acc{std::nan(""), std::nan("")};
            QStringList notes{QString(), QString()};
            if (mHasTeacher) {
                images << r.teacher;
                acc << r.teacherAcc;
                notes << r.teacherNote;
            }
            images << r.student;
            acc << r.studentAcc;
            notes << r.studentNote;
            for (int k = 0; k < images.size(); ++k) {
                const QRect target(kIndexW + k * (s + kGap), top, s, s);
                p.fillRect(target, QColor(0x202020));
                if (!images[k].isNull()) {
                    const QSize sz = images[k].size().scaled(target.size(), Qt::KeepAspectRatio);
                    p.drawImage(QRect(target.center() - QPoint(sz.width() / 2, sz.height() / 2), sz),
                                images[k]);
                }
                if (!std::isnan(acc[k]) || !notes[k].isEmpty()) {
                    p.setPen(palette().color(QPalette::Text));
                    p.drawText(QRect(target.left(), target.bottom() + 2, s, fm.height()), Qt::AlignCenter,
                               notes[k].isEmpty()
                                   ? PredictionsView::tr("pixel acc %1 %").arg(acc[k], 0, 'f', 1)
                                   : notes[k]);
                }
            }
        }
    }
    void resizeEvent(QResizeEvent* e) override {
        QWidget::resizeEvent(e);
        relayout();
    }

private:
    static constexpr int kIndexW = 56, kGap = 8;
    int columns() const { return mHasTeacher ? 4 : 3; }
    int cell() const { return std::clamp((width() - kIndexW - columns() * kGap) / columns(), 48, 192); }
    int headerHeight() const { return QFontMetrics(font()).height() + 6; }
    int rowHeight() const { return cell() + QFontMetrics(font()).height() + 10; }
    void relayout() { fitHeight(this, headerHeight() + mRows.size() * rowHeight()); }
    QVector<Row> mRows;
    bool mHasTeacher = false;
};

PredictionsView::PredictionsView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    mSummary = new QLabel(tr("No run evaluated yet."), this);
    mSummary->setWordWrap(true);
    mSummary->setTextFormat(Qt::RichText);
    layout->addWidget(mSummary);

    mStack = new QStackedWidget(this);
    layout->addWidget(mStack, 1);

    // Classification page: confusion matrix | sample cards.
    auto* split = new QSplitter(Qt::Horizontal, mStack);
    mMatrixPlot = new QCustomPlot(split);
    mMatrixPlot->setMinimumSize(260, 240);
    mMatrix = new QCPColorMap(mMatrixPlot->xAxis, mMatrixPlot->yAxis);
    mMatrix->setInterpolate(false);
    mMatrix->setTightBoundary(false);
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.0, QColor(0xf7fbff));
    gradient.setColorStopAt(0.5, QColor(0x6baed6));
    gradient.setColorStopAt(1.0, QColor(0x08306b));
    mMatrix->setGradient(gradient);
    mMatrix->setDataRange(QCPRange(0, 1));
    mMatrixPlot->xAxis->setLabel(tr("predicted (student)"));
    mMatrixPlot->yAxis->setLabel(tr("true class"));
    mMatrixPlot->yAxis->setRangeReversed(true);
    mMatrixPlot->xAxis->grid()->setVisible(false);
    mMatrixPlot->yAxis->grid()->setVisible(false);
    mMatrixPlot->setToolTip(tr("Colour: share of the true class (row). Click a cell to list those samples."));
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(4, 0, 0, 0);
    auto* filterRow = new QHBoxLayout;
    mWrongOnly = new QCheckBox(tr("Misclassified only"), right);
    mFilterLabel = new QLabel(right);
    mShowAll = new QPushButton(tr("Show all"), right);
    mShowAll->setVisible(false);
    filterRow->addWidget(mWrongOnly);
    filterRow->addWidget(mFilterLabel, 1);
    filterRow->addWidget(mShowAll);
    rl->addLayout(filterRow);
    auto* cardScroll = new QScrollArea(right);
    cardScroll->setWidgetResizable(true);
    cardScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mCards = new SampleCards(cardScroll);
    cardScroll->setWidget(mCards);
    rl->addWidget(cardScroll, 1);
    split->addWidget(mMatrixPlot);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    mStack->addWidget(split);

    // Segmentation page: per-class IoU legend above the mask rows.
    auto* seg = new QWidget(mStack);
    auto* sl = new QVBoxLayout(seg);
    sl->setContentsMargins(0, 0, 0, 0);
    mIouLegend = new QLabel(seg);
    mIouLegend->setWordWrap(true);
    mIouLegend->setTextFormat(Qt::RichText);
    sl->addWidget(mIouLegend);
    auto* rowScroll = new QScrollArea(seg);
    rowScroll->setWidgetResizable(true);
    rowScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mRows = new SegmentationRows(rowScroll);
    rowScroll->setWidget(mRows);
    sl->addWidget(rowScroll, 1);
    mStack->addWidget(seg);

    connect(&mWatcher, &QFutureWatcher<Outcome>::finished, this, &PredictionsView::onFinished);
    connect(mWrongOnly, &QCheckBox::toggled, this, &PredictionsView::setMisclassifiedOnly);
    connect(mShowAll, &QPushButton::clicked, this, [this] { setCellFilter(-1, -1); });
    const auto cellAt = [this](const QPointF& pos, int* t, int* pr) {
        if (mConfusion.isEmpty() || !mMatrixPlot->axisRect()->rect().contains(pos.toPoint())) return false;
        *pr = static_cast<int>(std::lround(mMatrixPlot->xAxis->pixelToCoord(pos.x())));
        *t = static_cast<int>(std::lround(mMatrixPlot->yAxis->pixelToCoord(pos.y())));
        return *t >= 0 && *pr >= 0 && *t < mConfusion.size() && *pr < mConfusion.size();
    };
    connect(mMatrixPlot, &QCustomPlot::mousePress, this, [this, cellAt](QMouseEvent* e) {
        int t, pr;
        if (!cellAt(e->position(), &t, &pr)) return;
        if (t == mFilterTruth && pr == mFilterPredicted)
            setCellFilter(-1, -1);
        else
            setCellFilter(t, pr);
    });
    connect(mMatrixPlot, &QCustomPlot::mouseMove, this, [this, cellAt](QMouseEvent* e) {
        int t, pr;
        if (!cellAt(e->position(), &t, &pr)) return;
        qint64 row = 0;
        for (qint64 v : mConfusion[t])
            row += v;
        const qint64 n = mConfusion[t][pr];
        QToolTip::showText(e->globalPosition().toPoint(),
                           tr("true %1 → predicted %2: %3 (%4 % of %1)")
                               .arg(className(t), className(pr))
                               .arg(n)
                               .arg(row ? 100.0 * n / row : 0.0, 0, 'f', 1),
                           mMatrixPlot);
    });
}

PredictionsView::~PredictionsView() {
    // The worker holds no pointer to the view; let a running evaluation finish on its own.
    mWatcher.disconnect();
}

void PredictionsView::setSampleCount(int count) {
    mSampleCount = std::max(1, count);
}

void PredictionsView::showRun(const QString& runDir, const QString& checkpoint) {
    mRunDir = runDir;
    const quint64 generation = ++mGeneration;
    const int count = mSampleCount;
    mSummary->setText(tr("Evaluating %1 (%2 checkpoint)…")
                          .arg(QDir::toNativeSeparators(runDir).toHtmlEscaped(), checkpoint.toHtmlEscaped()));
    const std::string dir = runDir.toStdString();
    CheckpointChoice which = CheckpointChoice::Best;
    parseCheckpoint(checkpoint.toStdString(), which);
    mWatcher.setFuture(QtConcurrent::run([dir, which, count, generation]() {
        Outcome o;
        o.generation = generation;
        try {
            const Recipe recipe = loadRunRecipe(dir);
            const auto data = openDataset(recipe.data, Split::Val);
            o.task = data->task();
            for (const auto& n : data->classNames())
                o.classNames << QString::fromStdString(n);
            o.eval = evaluateRun(dir, which);
            std::vector<int64_t> indices;
            for (int64_t i = 0; i < std::min<int64_t>(count, data->size()); ++i)
                indices.push_back(i);
            o.predictions = predictRun(dir, indices, Split::Val, which);
        } catch (const std::exception& e) {
            o.error = QString::fromStdString(e.what());
        }
        return o;
    }));
}

void PredictionsView::onFinished() {
    const Outcome o = mWatcher.result();
    if (o.generation != mGeneration) return;  // superseded by a newer showRun
    if (!o.error.isEmpty()) {
        mSummary->setText(
            tr("<span style='color:#b00020'>Evaluation failed: %1</span>").arg(o.error.toHtmlEscaped()));
        Q_EMIT errorOccurred(o.error);
        return;
    }
    setResults(o.eval, o.predictions, o.task, o.classNames);
}

void PredictionsView::clear() {
    ++mGeneration;
    mResult = {};
    mPredictions.clear();
    mClassNames.clear();
    mConfusion.clear();
    mFilterTruth = mFilterPredicted = -1;
    mMatrix->data()->clear();
    mMatrixPlot->clearItems();
    mMatrixPlot->replot();
    mCards->setCards({});
    mRows->setRows({}, false);
    mIouLegend->clear();
    mSummary->setText(tr("No run evaluated yet."));
}

QString PredictionsView::className(int index) const {
    if (index >= 0 && index < mClassNames.size() && !mClassNames[index].isEmpty()) return mClassNames[index];
    return tr("class %1").arg(index);
}

qint64 PredictionsView::confusionAt(int truth, int predicted) const {
    if (truth < 0 || truth >= mConfusion.size() || predicted < 0 || predicted >= mConfusion[truth].size())
        return 0;
    return mConfusion[truth][predicted];
}

void PredictionsView::setResults(const EvalResult& result, const std::vector<SamplePrediction>& predictions,
                                 Task task, const QStringList& classNames) {
    mResult = result;
    mPredictions = predictions;
    mTask = task;
    mClassNames = classNames;
    mConfusion.clear();
    for (const auto& row : result.confusion) {
        QVector<qint64> r;
        for (int64_t v : row)
            r.append(v);
        mConfusion.append(r);
    }
    mFilterTruth = mFilterPredicted = -1;
    mStack->setCurrentIndex(task == Task::Classification ? 0 : 1);
    fillConfusion();
    applyFilter();
    updateSummary();
    Q_EMIT ready();
}

void PredictionsView::fillConfusion() {
    mMatrixPlot->clearItems();
    const int k = mConfusion.size();
    if (task() == Task::Segmentation || k == 0) {
        mMatrix->data()->clear();
        mMatrixPlot->replot();
        return;
    }
    mMatrix->data()->setSize(k, k);
    mMatrix->data()->setRange(QCPRange(0, k - 1), QCPRange(0, k - 1));
    QSharedPointer<QCPAxisTickerText> xt(new QCPAxisTickerText), yt(new QCPAxisTickerText);
    int longest = 0;
    for (int c = 0; c < k; ++c) {
        xt->addTick(c, className(c));
        yt->addTick(c, className(c));
        longest = std::max(longest, static_cast<int>(className(c).size()));
    }
    mMatrixPlot->xAxis->setTicker(xt);
    mMatrixPlot->yAxis->setTicker(yt);
    mMatrixPlot->xAxis->setTickLabelRotation(longest > 3 && k > 3 ? -45 : 0);
    QFont cellFont = font();
    cellFont.setPointSizeF(cellFont.pointSizeF() * (k > 10 ? 0.75 : 0.9));
    for (int t = 0; t < k; ++t) {
        qint64 row = 0;
        for (qint64 v : mConfusion[t])
            row += v;
        for (int p = 0; p < k; ++p) {
            const double share = row ? static_cast<double>(mConfusion[t][p]) / row : 0.0;
            mMatrix->data()->setCell(p, t, share);
            if (k > 20) continue;  // too small to read
            auto* text = new QCPItemText(mMatrixPlot);
            text->position->setCoords(p, t);
            text->setText(QString::number(mConfusion[t][p]));
            text->setFont(cellFont);
            // Zeros faint, so the few confusions that matter stand out.
            text->setColor(share > 0.45            ? QColor(Qt::white)
                           : mConfusion[t][p] == 0 ? QColor(0xb8b8b8)
                                                   : QColor(0x202020));
            text->setSelectable(false);
        }
    }
    mMatrixPlot->xAxis->setRange(-0.5, k - 0.5);
    mMatrixPlot->yAxis->setRange(-0.5, k - 0.5);
    mMatrixPlot->replot();
}

void PredictionsView::setCellFilter(int truth, int predicted) {
    mFilterTruth = truth;
    mFilterPredicted = predicted;
    applyFilter();
}

void PredictionsView::setMisclassifiedOnly(bool on) {
    if (mWrongOnly->isChecked() != on) {
        const QSignalBlocker block(mWrongOnly);
        mWrongOnly->setChecked(on);
    }
    applyFilter();
}

void PredictionsView::applyFilter() {
    if (task() == Task::Classification) {
        QVector<SampleCards::Card> cards;
        int wrong = 0;
        for (const auto& p : mPredictions) {
            const bool studentWrong = p.studentLabel != p.sample.label;
            wrong += studentWrong;
            if (mWrongOnly->isChecked() && !studentWrong) continue;
            if (mFilterTruth >= 0 && (p.sample.label != mFilterTruth || p.studentLabel != mFilterPredicted))
                continue;
            SampleCards::Card c;
            c.index = p.index;
            c.image = sampleToImage(p.sample.image);
            c.truth = className(static_cast<int>(p.sample.label));
            const double prob =
                p.studentLabel >= 0 && p.studentLabel < static_cast<int64_t>(p.studentProbs.size())
                    ? p.studentProbs[p.studentLabel]
                    : std::nan("");
            c.student = std::isnan(prob) ? className(static_cast<int>(p.studentLabel))
                                         : tr("%1 %2 %")
                                               .arg(className(static_cast<int>(p.studentLabel)))
                                               .arg(100.0 * prob, 0, 'f', 0);
            c.studentWrong = studentWrong;
            c.hasTeacher = p.teacherLabel >= 0;
            c.teacher = className(static_cast<int>(p.teacherLabel));
            c.teacherWrong = p.teacherLabel != p.sample.label;
            cards.append(c);
        }
        mCards->setCards(cards);
        if (mFilterTruth >= 0)
            mFilterLabel->setText(tr("true %1 → predicted %2: %3 of the %4 samples shown")
                                      .arg(className(mFilterTruth), className(mFilterPredicted))
                                      .arg(cards.size())
                                      .arg(mPredictions.size()));
        else
            mFilterLabel->setText(tr("%1 samples, %2 misclassified").arg(mPredictions.size()).arg(wrong));
        mShowAll->setVisible(mFilterTruth >= 0);
    } else if (task() == Task::Detection) {
        // Ground truth dashed, detections above the display threshold solid with their scores.
        QVector<SegmentationRows::Row> rows;
        bool hasTeacher = false;
        auto note = [&](const std::vector<Detection>& dets, const std::vector<Box>& truth) {
            int shown = 0, hits = 0;
            for (const Detection& d : dets) {
                if (d.score < kDetectionDisplayScore) continue;
                ++shown;
                for (const Box& b : truth)
                    if (b.label == d.label && boxIoU(d, b) >= 0.5) {
                        ++hits;
                        break;
                    }
            }
            return tr("%1 of %2 boxes at IoU ≥ 0.5").arg(hits).arg(shown);
        };
        for (const auto& p : mPredictions) {
            SegmentationRows::Row r;
            r.index = p.index;
            r.image = boxesToImage(p.sample.image, {}, {}, 1.0, mClassNames, 4);
            r.truth = boxesToImage(p.sample.image, p.sample.boxes, {}, 1.0, mClassNames, 4);
            r.student =
                boxesToImage(p.sample.image, {}, p.studentBoxes, kDetectionDisplayScore, mClassNames, 4);
            r.studentNote = note(p.studentBoxes, p.sample.boxes);
            if (!p.teacherBoxes.empty()) {
                hasTeacher = true;
                r.teacher =
                    boxesToImage(p.sample.image, {}, p.teacherBoxes, kDetectionDisplayScore, mClassNames, 4);
                r.teacherNote = note(p.teacherBoxes, p.sample.boxes);
            }
            rows.append(r);
        }
        mRows->setRows(rows, hasTeacher);
    } else {
        QVector<SegmentationRows::Row> rows;
        bool hasTeacher = false;
        for (const auto& p : mPredictions) {
            SegmentationRows::Row r;
            r.index = p.index;
            r.image = sampleToImage(p.sample.image);
            r.truth = maskToImage(p.sample.mask);
            r.student = maskToImage(p.studentMask);
            r.studentAcc = maskAccuracy(p.sample.mask, p.studentMask);
            if (!p.teacherMask.data.empty()) {
                hasTeacher = true;
                r.teacher = maskToImage(p.teacherMask);
                r.teacherAcc = maskAccuracy(p.sample.mask, p.teacherMask);
            }
            rows.append(r);
        }
        mRows->setRows(rows, hasTeacher);
    }
}

void PredictionsView::updateSummary() {
    QStringList parts;
    for (const auto& [name, value] : mResult.metrics) {
        const QString n = QString::fromStdString(name);
        if (n == QLatin1String("loss"))
            parts << tr("loss %1").arg(value, 0, 'f', 4);
        else if (n == QLatin1String("top1"))
            parts << tr("<b>top-1 %1 %</b>").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("miou"))
            parts << tr("<b>mIoU %1 %</b>").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("pixel_acc"))
            parts << tr("pixel accuracy %1 %").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap"))
            parts << tr("<b>AP %1</b>").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap50"))
            parts << tr("AP50 %1").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap75"))
            parts << tr("AP75 %1").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap_small"))
            parts << tr("AP small %1").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap_medium"))
            parts << tr("AP medium %1").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ap_large"))
            parts << tr("AP large %1").arg(value, 0, 'f', 2);
        else if (n == QLatin1String("ar100"))
            parts << tr("AR@100 %1").arg(value, 0, 'f', 2);
        else
            parts << QStringLiteral("%1 %2").arg(n.toHtmlEscaped()).arg(value, 0, 'g', 4);
    }
    if (mResult.samples > 0) parts << tr("%1 validation samples").arg(mResult.samples);
    if (!mRunDir.isEmpty()) parts << QDir::toNativeSeparators(mRunDir).toHtmlEscaped();
    mSummary->setText(parts.join(QStringLiteral(" · ")));

    if (task() == Task::Segmentation) {
        QStringList legend;
        const int k = std::max<int>(mResult.perClassIoU.size(), mClassNames.size());
        for (int c = 0; c < k; ++c) {
            const double iou =
                c < static_cast<int>(mResult.perClassIoU.size()) ? mResult.perClassIoU[c] : std::nan("");
            legend << QStringLiteral("<span style='color:%1;font-size:large'>&#9632;</span>&nbsp;%2&nbsp;%3")
                          .arg(QColor(classColor(c)).name(), className(c).toHtmlEscaped(),
                               std::isnan(iou) ? tr("(absent)") : tr("IoU&nbsp;%1").arg(iou, 0, 'f', 1));
        }
        legend << QStringLiteral("<span style='color:#000000;font-size:large'>&#9632;</span>&nbsp;%1")
                      .arg(tr("ignore (255)"));
        mIouLegend->setText(legend.join(QStringLiteral(" &nbsp; ")));
    } else if (task() == Task::Detection) {
        QStringList legend;
        const int k = std::max<int>(mResult.perClassAP.size(), mClassNames.size());
        for (int c = 0; c < k; ++c) {
            const double ap = c < static_cast<int>(mResult.perClassAP.size()) ? mResult.perClassAP[c] : -1.0;
            legend << QStringLiteral("<span style='color:%1;font-size:large'>&#9632;</span>&nbsp;%2&nbsp;%3")
                          .arg(QColor(classColor(c + 1)).name(), className(c).toHtmlEscaped(),
                               ap < 0 ? tr("(absent)") : tr("AP&nbsp;%1").arg(ap, 0, 'f', 1));
        }
        mIouLegend->setText(
            tr("Dashed: ground truth; solid: detections with score ≥ %1.").arg(kDetectionDisplayScore) +
            QStringLiteral("<br>") + legend.join(QStringLiteral(" &nbsp; ")));
    }
}

int PredictionsView::shownSamples() const {
    return task() == Task::Classification ? mCards->count() : mRows->count();
}

}  // namespace distillery
