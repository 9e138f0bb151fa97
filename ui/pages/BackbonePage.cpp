#include "ui/pages/BackbonePage.h"

#include "ui/models/ZooTableModel.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/StageWorker.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ts::ui {
namespace {

QString paramsText(qint64 n) {
    if (n >= 1000000) return QStringLiteral("%1 M").arg(n / 1e6, 0, 'f', 2);
    if (n >= 1000) return QStringLiteral("%1 k").arg(n / 1e3, 0, 'f', 1);
    return QString::number(n);
}

// Matches the filter text against the name and family columns only.
class ZooFilterProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setNeedle(const QString& needle) {
        m_needle = needle;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override {
        if (m_needle.isEmpty()) return true;
        for (int col : {int(ZooTableModel::NameColumn), int(ZooTableModel::FamilyColumn)}) {
            const QString text = sourceModel()->index(sourceRow, col, sourceParent).data().toString();
            if (text.contains(m_needle, Qt::CaseInsensitive)) return true;
        }
        return false;
    }

private:
    QString m_needle;
};

} // namespace

BackbonePage::BackbonePage(QWidget* parent)
    : QWidget(parent), m_model(new ZooTableModel(this)), m_proxy(new ZooFilterProxy(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Backbone"),
        tr("Choose the pretrained network whose features your classifier builds on. Smaller models train and run "
           "faster; larger ones are usually more accurate. Weights marked \"not downloaded\" can be fetched with "
           "<tt>tstudio weights download NAME</tt>."),
        this));

    auto* row = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("zooFilter"));
    m_filter->setPlaceholderText(tr("Filter by name or family…"));
    m_filter->setClearButtonEnabled(true);
    m_count = new QLabel(this);
    row->addWidget(m_filter, 1);
    row->addWidget(m_count);
    layout->addLayout(row);

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::EditRole);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("zooTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);  // registry order until the user sorts
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->setVisible(false);
    m_table->setAlternatingRowColors(true);
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto* side = new QWidget(splitter);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(6, 0, 0, 0);
    m_details = new QLabel(tr("Select a model to see its details and stages."), side);
    m_details->setObjectName(QStringLiteral("backboneDetails"));
    m_details->setWordWrap(true);
    m_details->setTextFormat(Qt::RichText);
    m_details->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_details->setOpenExternalLinks(false);
    m_stageStatus = new QLabel(side);
    m_stageStatus->setWordWrap(true);
    m_stageTree = new QTreeWidget(side);
    m_stageTree->setObjectName(QStringLiteral("stageTree"));
    m_stageTree->setColumnCount(3);
    m_stageTree->setHeaderLabels({tr("Stage"), tr("Params"), tr("Modules")});
    m_stageTree->setRootIsDecorated(false);
    m_stageTree->setToolTip(tr("The stages, from input to head, are the units you freeze or train on the "
                               "Layers page and whose feature maps the Inspect page shows."));
    sideLayout->addWidget(m_details);
    sideLayout->addWidget(m_stageStatus);
    sideLayout->addWidget(m_stageTree, 1);
    splitter->addWidget(m_table);
    splitter->addWidget(side);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({640, 400});
    layout->addWidget(splitter, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &BackbonePage::setFilterText);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &BackbonePage::onSelectionChanged);

    m_worker = new StageWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &BackbonePage::inspectRequested, m_worker, &StageWorker::inspect, Qt::QueuedConnection);
    connect(m_worker, &StageWorker::stagesReady, this, &BackbonePage::onStagesReady, Qt::QueuedConnection);
    connect(m_worker, &StageWorker::failed, this, &BackbonePage::onStagesFailed, Qt::QueuedConnection);
    m_thread.setObjectName(QStringLiteral("BackbonePage stages"));
    m_thread.start();
    updateCount();
}

BackbonePage::~BackbonePage() {
    m_thread.quit();
    m_thread.wait();
}

void BackbonePage::setFilterText(const QString& text) {
    if (m_filter->text() != text) m_filter->setText(text);  // re-enters through textChanged
    static_cast<ZooFilterProxy*>(m_proxy)->setNeedle(text.trimmed());
    updateCount();
}

QStringList BackbonePage::visibleModelNames() const {
    QStringList names;
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        names << m_proxy->index(r, ZooTableModel::NameColumn).data(Qt::EditRole).toString();
    return names;
}

bool BackbonePage::selectBackbone(const QString& name) {
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        if (m_proxy->index(r, ZooTableModel::NameColumn).data(Qt::EditRole).toString() == name) {
            m_table->selectRow(r);
            m_table->scrollTo(m_proxy->index(r, 0));
            return true;
        }
    }
    return false;
}

void BackbonePage::onSelectionChanged() {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty()) return;  // keep the last choice while filtered out
    const int sourceRow = m_proxy->mapToSource(rows.first()).row();
    const ZooRow& row = m_model->rows().at(sourceRow);
    if (row.name == m_selected) return;
    m_selected = row.name;
    m_stages.clear();
    m_stageTree->clear();
    showDetails(&row);
    ++m_pending;
    m_stageStatus->setText(tr("Building %1 to list its stages…").arg(row.name));
    Q_EMIT inspectRequested(row.name);
    Q_EMIT backboneChanged(row.name);
}

void BackbonePage::onStagesReady(const QString& arch, const QVector<StageRow>& stages) {
    --m_pending;
    if (arch != m_selected) return;
    m_stages = stages;
    m_stageTree->clear();
    for (const StageRow& s : stages) {
        auto* item = new QTreeWidgetItem(m_stageTree, {s.name, paramsText(s.numParams), s.modules.join(QStringLiteral(", "))});
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(2, s.modules.join(QLatin1Char('\n')));
    }
    m_stageTree->resizeColumnToContents(0);
    m_stageTree->resizeColumnToContents(1);
    m_stageStatus->setText(tr("%n stage(s), from input to head:", nullptr, int(stages.size())));
}

void BackbonePage::onStagesFailed(const QString& arch, const QString& message) {
    --m_pending;
    if (arch != m_selected) return;
    m_stageStatus->setText(tr("<span style='color:#b00020'>Cannot list the stages of %1: %2</span>")
                               .arg(arch, message.toHtmlEscaped()));
}

void BackbonePage::showDetails(const ZooRow* row) {
    if (!row) {
        m_details->setText(tr("Select a model to see its details and stages."));
        return;
    }
    QString weights;
    if (!row->hasOfficialWeights)
        weights = tr("no official weights (trains from scratch)");
    else if (row->weightsCached)
        weights = tr("cached at <tt>%1</tt>").arg(row->weightsPath.toHtmlEscaped());
    else
        weights = tr("not downloaded; <tt>tstudio weights download %1</tt> puts them at <tt>%2</tt>")
                      .arg(row->name, row->weightsPath.toHtmlEscaped());
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing='2'>").arg(row->name.toHtmlEscaped());
    auto line = [&html](const QString& key, const QString& value) {
        html += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(key, value);
    };
    line(tr("Family"), row->family.toHtmlEscaped());
    line(tr("Parameters"), paramsText(row->numParams));
    line(tr("Input"), tr("resize to %1 px, centre crop %2 px").arg(row->resizeSize).arg(row->inputSize));
    if (row->top1 > 0) line(tr("ImageNet"), tr("top-1 %1 %, top-5 %2 %").arg(row->top1, 0, 'f', 2).arg(row->top5, 0, 'f', 2));
    line(tr("Weights"), weights);
    if (!row->license.isEmpty()) line(tr("Licence"), row->license.toHtmlEscaped());
    if (!row->paper.isEmpty()) line(tr("Paper"), row->paper.toHtmlEscaped());
    html += QStringLiteral("</table>");
    m_details->setText(html);
}

void BackbonePage::updateCount() {
    m_count->setText(tr("%1 of %2 models").arg(m_proxy->rowCount()).arg(m_model->rowCount()));
}

} // namespace ts::ui
