#pragma once
// BackbonePage: step 2, choose the pretrained network. The zoo as a sortable,
// filterable table (name, family, parameters, GFLOPs, ImageNet accuracy,
// weights cached); the selected model's facts and stages beside it. The
// stages come from building the model on a worker thread.
//
// Thread safety: UI thread only; the page's QThread is joined in the destructor.
#include "ui/models/ZooFacts.h"

#include <QThread>
#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QTreeWidget;

namespace ts::ui {

class StageWorker;
class ZooTableModel;

class BackbonePage : public QWidget {
    Q_OBJECT
public:
    explicit BackbonePage(QWidget* parent = nullptr);
    ~BackbonePage() override;

    /// Shows only models whose name or family contains `text` (case-insensitive).
    void setFilterText(const QString& text);
    /// Names of the rows shown now, in display order.
    QStringList visibleModelNames() const;
    /// Selects `name`; returns false when it is not shown.
    bool selectBackbone(const QString& name);
    /// The selected architecture; empty when none.
    QString selectedBackbone() const { return m_selected; }
    /// Stages of the selected model (empty until they are built).
    const QVector<StageRow>& stages() const { return m_stages; }
    /// True while the selected model is being built for its stages.
    bool isBusy() const { return m_pending > 0; }

    ZooTableModel* model() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }

Q_SIGNALS:
    void backboneChanged(const QString& name);
    void inspectRequested(const QString& arch);

private:
    void onSelectionChanged();
    void onStagesReady(const QString& arch, const QVector<StageRow>& stages);
    void onStagesFailed(const QString& arch, const QString& message);
    void showDetails(const ZooRow* row);
    void updateCount();

    QLineEdit* m_filter = nullptr;
    QLabel* m_count = nullptr;
    QTableView* m_table = nullptr;
    ZooTableModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_stageStatus = nullptr;
    QTreeWidget* m_stageTree = nullptr;
    QString m_selected;
    QVector<StageRow> m_stages;
    int m_pending = 0;
    QThread m_thread;
    StageWorker* m_worker = nullptr;
};

} // namespace ts::ui
