#pragma once
// Every run folder of a project in one sortable table (name, job, models, loss terms, best metric, cost,
// wall time, status), read through the core's RunFolder (recipe.yaml, summary.json, metrics.jsonl) and
// refreshed when folders change.

#include <QString>
#include <QStringList>
#include <QWidget>

class QFileSystemWatcher;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace distillery {

class RunsTableModel;

class RunsTableView : public QWidget {
    Q_OBJECT

public:
    enum Column {
        Name,
        Job,
        Student,
        Teacher,
        LossTerms,
        Metric,
        Params,
        Macs,
        WallTime,
        Status,
        ColumnCount
    };

    explicit RunsTableView(QWidget* parent = nullptr);
    ~RunsTableView() override;

    /** Lists run folders (folders holding recipe.yaml) in projectDir, one or two levels down (e.g. the folders in runs/).
     */
    void setProjectDir(const QString& projectDir);
    QString projectDir() const { return mProjectDir; }

    /** Rows in display (sorted) order. */
    int rowCount() const;
    QString runDirAt(int row) const;
    /** The text shown in a cell, in display order (for tests and tooltips). */
    QString textAt(int row, Column column) const;
    QStringList selectedRunDirs() const;
    /** Selects the rows of these run folders (others are deselected). */
    void selectRunDirs(const QStringList& runDirs);
    QTableView* tableView() const { return mTable; }

public Q_SLOTS:
    /** Rescans the project folder; keeps the selection where the runs still exist. */
    void refresh();

Q_SIGNALS:
    void runsSelected(const QStringList& runDirs);
    /** Double-click or Enter on a row. */
    void runActivated(const QString& runDir);

private:
    void rewatch(const QStringList& dirs);

    QString mProjectDir;
    QLabel* mHeader = nullptr;
    QTableView* mTable = nullptr;
    RunsTableModel* mModel = nullptr;
    QSortFilterProxyModel* mProxy = nullptr;
    QFileSystemWatcher* mWatcher = nullptr;
    QTimer* mRefreshTimer = nullptr;
};

/** Folders under projectDir (itself, children, grandchildren) that hold a recipe.yaml, sorted by path. */
QStringList findRunDirs(const QString& projectDir);

}  // namespace distillery
