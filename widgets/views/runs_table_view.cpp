#include "widgets/views/runs_table_view.h"

#include <QAbstractTableModel>
#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "core/recipe.h"
#include "core/run_folder.h"
#include "widgets/views/format.h"

namespace distillery {

namespace {
constexpr int kSortRole = Qt::UserRole;
constexpr qint64 kRunningWindowSeconds = 120;  // metrics written this recently: the run is probably alive

struct RunRow {
    QString dir;
    QString cells[RunsTableView::ColumnCount];
    QVariant sortKeys[RunsTableView::ColumnCount];
    QString termsTip;
    QString statusTip;
    QString status;  // finished, cancelled, failed, running, incomplete, unreadable
};

/** Translated status; unknown words (from a newer engine) are shown as written. */
QString statusLabel(const QString& status) {
    if (status == QLatin1String("finished")) return RunsTableView::tr("finished");
    if (status == QLatin1String("cancelled")) return RunsTableView::tr("cancelled");
    if (status == QLatin1String("failed")) return RunsTableView::tr("failed");
    if (status == QLatin1String("running")) return RunsTableView::tr("running");
    if (status == QLatin1String("incomplete")) return RunsTableView::tr("incomplete");
    if (status == QLatin1String("unreadable")) return RunsTableView::tr("unreadable");
    return status;
}

QString modelText(const ModelSpec& model) {
    const std::string name = model.displayName();
    if (name.empty()) return {};
    return QString::fromStdString(model.head.empty() ? name : name + "/" + model.head);
}

/** One row from the folder's overview (core/run_folder.h), which reads everything and never throws. */
RunRow readRun(const QString& dir) {
    RunRow row;
    row.dir = dir;
    const QDir d(dir);
    row.cells[RunsTableView::Name] = d.dirName();
    row.sortKeys[RunsTableView::Name] = d.dirName().toLower();

    const RunOverview o = RunFolder(dir.toStdString()).overview();
    const RunSummaryRecord* summary = o.summary ? &*o.summary : nullptr;

    // The recipe exists from the start of a run; the summary, written when it ends, wins where both tell.
    QString recipeName, student, teacher;
    QStringList terms, termTips;
    if (o.recipe) {
        const Recipe& r = *o.recipe;
        recipeName = QString::fromStdString(r.name);
        student = modelText(r.student);
        if (r.job == JobKind::Distill) teacher = modelText(r.teacher.model);
        for (const auto& t : r.losses) {
            terms << QString::fromStdString(t.label());
            QString tip =
                RunsTableView::tr("%1: weight %2").arg(QString::fromStdString(t.label())).arg(t.weight);
            if (t.hasTau) tip += RunsTableView::tr(", τ %1").arg(t.tau);
            termTips << tip;
        }
    }
    if (summary) {
        if (recipeName.isEmpty()) recipeName = QString::fromStdString(summary->name);
        if (!summary->student.arch.empty()) student = QString::fromStdString(summary->student.label());
        if (summary->teacher && !summary->teacher->arch.empty())
            teacher = QString::fromStdString(summary->teacher->label());
        if (terms.isEmpty())
            for (const auto& t : summary->lossTerms)
                terms << QString::fromStdString(t);
    }
    // The kind and role come from the summary (else the recipe), never from the folder's name.
    QString job = QString::fromLatin1(runKindName(o.kind));
    if (o.role == RunRole::Teacher) job = RunsTableView::tr("%1 (teacher)").arg(job);
    row.cells[RunsTableView::Job] = job;
    row.cells[RunsTableView::Student] = student;
    row.cells[RunsTableView::Teacher] = teacher.isEmpty() ? QStringLiteral("—") : teacher;
    row.cells[RunsTableView::LossTerms] = terms.join(QStringLiteral(", "));
    row.termsTip = termTips.join(QLatin1Char('\n'));
    for (int c :
         {RunsTableView::Job, RunsTableView::Student, RunsTableView::Teacher, RunsTableView::LossTerms})
        row.sortKeys[c] = row.cells[c].toLower();

    // Best main metric: from the summary, or the best so far from metrics.jsonl while the run has none.
    if (!std::isnan(o.bestMetric)) {
        row.cells[RunsTableView::Metric] =
            RunsTableView::tr("%1 %2 %").arg(metricText(o.mainMetric)).arg(o.bestMetric, 0, 'f', 2);
        row.sortKeys[RunsTableView::Metric] = o.bestMetric;
    } else {
        row.sortKeys[RunsTableView::Metric] = -1e300;
    }

    // Cost and time only from a summary that could be read: an unreadable one shows nothing, not zeros.
    const auto count = [&](int64_t n, RunsTableView::Column col) {
        if (summary && n > 0) {
            row.cells[col] = formatCount(n);
            row.sortKeys[col] = static_cast<qlonglong>(n);
        } else {
            row.sortKeys[col] = static_cast<qlonglong>(-1);
        }
    };
    count(summary ? summary->params : 0, RunsTableView::Params);
    count(summary ? summary->macs : 0, RunsTableView::Macs);
    row.cells[RunsTableView::WallTime] = summary ? formatDuration(summary->wallSeconds) : QString();
    row.sortKeys[RunsTableView::WallTime] = summary ? summary->wallSeconds : -1.0;

    // Status.
    const QString error = QString::fromStdString(o.error);
    if (summary) {
        row.status = QString::fromLatin1(statusName(summary->status));
        row.statusTip = QString::fromStdString(summary->message);
        if (!error.isEmpty())
            row.statusTip += (row.statusTip.isEmpty() ? QString() : QStringLiteral("\n")) + error;
    } else if (!error.isEmpty()) {
        // A recipe or summary.json that cannot be read (or metrics.jsonl broken mid-file): say so and why.
        row.status = QStringLiteral("unreadable");
        row.statusTip = error;
    } else {
        const bool recent =
            o.metricsModifiedAgeSeconds >= 0 && o.metricsModifiedAgeSeconds < kRunningWindowSeconds;
        row.status = recent ? QStringLiteral("running") : QStringLiteral("incomplete");
        row.statusTip =
            recent
                ? RunsTableView::tr("metrics.jsonl is being written; no summary yet")
                : RunsTableView::tr("no summary.json: the run was stopped or killed (resume continues it)");
    }
    row.cells[RunsTableView::Status] = statusLabel(row.status);
    row.sortKeys[RunsTableView::Status] = row.status;
    if (!recipeName.isEmpty() && recipeName != row.cells[RunsTableView::Name])
        row.cells[RunsTableView::Name] += QStringLiteral(" (%1)").arg(recipeName);
    return row;
}
}  // namespace

QStringList findRunDirs(const QString& projectDir) {
    QStringList runs;
    if (projectDir.isEmpty()) return runs;
    const auto isRun = [](const QDir& d) {
        return QFileInfo::exists(d.filePath(QStringLiteral("recipe.yaml")));
    };
    const QDir root(projectDir);
    if (!root.exists()) return runs;
    if (isRun(root)) return {root.absolutePath()};
    const auto subdirs = [](const QDir& d) {
        return d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Readable, QDir::Name);
    };
    for (const QFileInfo& child : subdirs(root)) {
        const QDir c(child.absoluteFilePath());
        if (isRun(c)) {
            runs << c.absolutePath();
            continue;  // never descend into a run (checkpoints, inspector output)
        }
        for (const QFileInfo& grandchild : subdirs(c)) {
            const QDir g(grandchild.absoluteFilePath());
            if (isRun(g)) runs << g.absolutePath();
        }
    }
    return runs;
}

class RunsTableModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(QVector<RunRow> rows) {
        beginResetModel();
        mRows = std::move(rows);
        endResetModel();
    }
    const RunRow& row(int r) const { return mRows[r]; }

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : mRows.size();
    }
    int columnCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : RunsTableView::ColumnCount;
    }
    QVariant headerData(int section, Qt::Orientation o, int role) const override {
        if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
        static const char* names[] = {QT_TRANSLATE_NOOP("distillery::RunsTableView", "Name"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Job"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Student"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Teacher"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Loss terms"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Best metric"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Params"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "MACs"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Wall time"),
                                      QT_TRANSLATE_NOOP("distillery::RunsTableView", "Status")};
        return RunsTableView::tr(names[section]);
    }
    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= mRows.size()) return {};
        const RunRow& r = mRows[index.row()];
        const int c = index.column();
        switch (role) {
            case Qt::DisplayRole:
                return r.cells[c];
            case kSortRole:
                return r.sortKeys[c];
            case Qt::TextAlignmentRole:
                if (c == RunsTableView::Metric || c == RunsTableView::Params || c == RunsTableView::Macs ||
                    c == RunsTableView::WallTime)
                    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
                return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
            case Qt::ToolTipRole:
                if (c == RunsTableView::Name)
                    return r.cells[c] + QLatin1Char('\n') + QDir::toNativeSeparators(r.dir);
                if (c == RunsTableView::Status) return r.statusTip;
                if (c == RunsTableView::LossTerms) return r.termsTip;
                return {};
            case Qt::ForegroundRole:
                if (c != RunsTableView::Status) return {};
                if (r.status == QLatin1String("failed") || r.status == QLatin1String("unreadable"))
                    return QColor(0xb3261e);
                if (r.status == QLatin1String("running")) return QColor(0x1a5fb4);
                if (r.status == QLatin1String("cancelled") || r.status == QLatin1String("incomplete"))
                    return QColor(0x8a6d00);
                return {};
            default:
                return {};
        }
    }

private:
    QVector<RunRow> mRows;
};

RunsTableView::RunsTableView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    mHeader = new QLabel(tr("No project folder."), this);
    mHeader->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* refreshButton = new QPushButton(tr("Refresh"), this);
    bar->addWidget(mHeader, 1);
    bar->addWidget(refreshButton);
    layout->addLayout(bar);

    mModel = new RunsTableModel(this);
    mProxy = new QSortFilterProxyModel(this);
    mProxy->setSourceModel(mModel);
    mProxy->setSortRole(kSortRole);
    mTable = new QTableView(this);
    mTable->setModel(mProxy);
    mTable->setSortingEnabled(true);
    mTable->sortByColumn(Name, Qt::AscendingOrder);
    mTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mTable->setSelectionMode(QAbstractItemView::ExtendedSelection);
    mTable->setAlternatingRowColors(true);
    mTable->setWordWrap(false);
    mTable->verticalHeader()->setVisible(false);
    mTable->verticalHeader()->setDefaultSectionSize(mTable->fontMetrics().height() + 8);
    mTable->setTextElideMode(Qt::ElideMiddle);
    mTable->horizontalHeader()->setStretchLastSection(true);
    mTable->horizontalHeader()->setHighlightSections(false);
    layout->addWidget(mTable, 1);

    mWatcher = new QFileSystemWatcher(this);
    mRefreshTimer = new QTimer(this);
    mRefreshTimer->setSingleShot(true);
    mRefreshTimer->setInterval(400);  // a run writes several files at once: refresh once
    connect(mWatcher, &QFileSystemWatcher::directoryChanged, mRefreshTimer, qOverload<>(&QTimer::start));
    connect(mRefreshTimer, &QTimer::timeout, this, &RunsTableView::refresh);
    connect(refreshButton, &QPushButton::clicked, this, &RunsTableView::refresh);
    connect(mTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { Q_EMIT runsSelected(selectedRunDirs()); });
    connect(mTable, &QTableView::activated, this,
            [this](const QModelIndex& index) { Q_EMIT runActivated(runDirAt(index.row())); });
}

RunsTableView::~RunsTableView() = default;

void RunsTableView::setProjectDir(const QString& projectDir) {
    mProjectDir = projectDir;
    refresh();
}

void RunsTableView::refresh() {
    const QStringList selected = selectedRunDirs();
    const QStringList dirs = findRunDirs(mProjectDir);
    QVector<RunRow> rows;
    for (const QString& dir : dirs)
        rows.append(readRun(dir));
    {
        const QSignalBlocker block(mTable->selectionModel());
        mModel->setRows(rows);
    }
    mTable->resizeColumnsToContents();
    // Long names and term lists are elided (full text in the tooltip) so Status stays in view.
    for (int c : {Name, LossTerms})
        mTable->setColumnWidth(c, std::min(mTable->columnWidth(c), 220));
    int total = 0;
    for (int c = 0; c < ColumnCount; ++c)
        total += mTable->columnWidth(c);
    constexpr int kPadding = 10;  // breathing room, only where it does not push Status out of view
    if (total + kPadding * ColumnCount < mTable->viewport()->width())
        for (int c = 0; c < ColumnCount - 1; ++c)
            mTable->setColumnWidth(c, mTable->columnWidth(c) + kPadding);
    selectRunDirs(selected);
    if (selectedRunDirs() != selected) Q_EMIT runsSelected(selectedRunDirs());
    mHeader->setText(
        mProjectDir.isEmpty()
            ? tr("No project folder.")
            : tr("%n run(s) in %1", nullptr, rows.size()).arg(QDir::toNativeSeparators(mProjectDir)));
    rewatch(dirs);
}

void RunsTableView::rewatch(const QStringList& runDirs) {
    // Watch the project, the folders that hold runs (new runs appear there) and each run (summary.json).
    QSet<QString> want;
    if (!mProjectDir.isEmpty() && QFileInfo(mProjectDir).isDir()) {
        const QDir root(mProjectDir);
        want.insert(root.absolutePath());
        for (const QFileInfo& child : root.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            want.insert(child.absoluteFilePath());
        }
    }
    for (const QString& d : runDirs)
        want.insert(d);
    const QStringList current = mWatcher->directories();
    QStringList remove;
    for (const QString& d : current)
        if (!want.contains(d)) remove << d;
    if (!remove.isEmpty()) mWatcher->removePaths(remove);
    QStringList add;
    for (const QString& d : want)
        if (!current.contains(d)) add << d;
    if (!add.isEmpty()) mWatcher->addPaths(add);
}

int RunsTableView::rowCount() const {
    return mProxy->rowCount();
}

QString RunsTableView::runDirAt(int row) const {
    if (row < 0 || row >= mProxy->rowCount()) return {};
    return mModel->row(mProxy->mapToSource(mProxy->index(row, 0)).row()).dir;
}

QString RunsTableView::textAt(int row, Column column) const {
    if (row < 0 || row >= mProxy->rowCount()) return {};
    return mProxy->index(row, column).data(Qt::DisplayRole).toString();
}

QStringList RunsTableView::selectedRunDirs() const {
    QStringList dirs;
    const auto rows = mTable->selectionModel()->selectedRows();
    QList<int> order;
    for (const auto& index : rows)
        order << index.row();
    std::sort(order.begin(), order.end());
    for (int r : order)
        dirs << runDirAt(r);
    return dirs;
}

void RunsTableView::selectRunDirs(const QStringList& runDirs) {
    QItemSelection selection;
    for (int r = 0; r < rowCount(); ++r)
        if (runDirs.contains(runDirAt(r)))
            selection.select(mProxy->index(r, 0), mProxy->index(r, ColumnCount - 1));
    mTable->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

}  // namespace distillery
