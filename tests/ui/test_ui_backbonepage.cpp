// BackbonePage: the table lists the registry, filters, sorts numerically, and
// shows the selected model's stages.
#include "ui/main/Application.h"
#include "ui/models/ZooTableModel.h"
#include "ui/pages/BackbonePage.h"

#include "core/zoo/Registry.h"

#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QtTest>

using ts::ui::BackbonePage;
using ts::ui::ZooTableModel;

class TestBackbonePage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
    }

    void listsTheRegistry() {
        BackbonePage page;
        QStringList expected;
        for (const auto& name : ts::zoo::modelNames()) expected << QString::fromStdString(name);
        QVERIFY(!expected.isEmpty());
        QCOMPARE(page.visibleModelNames(), expected);
        const auto& mobilenet = ts::zoo::modelInfo("mobilenet_v2");
        const int row = page.model()->rowOf(QStringLiteral("mobilenet_v2"));
        QVERIFY(row >= 0);
        QCOMPARE(page.model()->index(row, ZooTableModel::FamilyColumn).data().toString(),
                 QString::fromStdString(mobilenet.family));
        QCOMPARE(page.model()->index(row, ZooTableModel::ParamsColumn).data(Qt::EditRole).toLongLong(),
                 qint64(mobilenet.numParams));
        QCOMPARE(page.model()->index(row, ZooTableModel::Top1Column).data(Qt::EditRole).toDouble(), mobilenet.top1);
    }

    void filtering() {
        BackbonePage page;
        const int all = page.visibleModelNames().size();
        page.setFilterText(QStringLiteral("MOBILENET"));
        const QStringList shown = page.visibleModelNames();
        QVERIFY(shown.contains(QStringLiteral("mobilenet_v2")));
        QVERIFY(!shown.contains(QStringLiteral("tiny_cnn")));
        QVERIFY(shown.size() < all);
        for (const QString& name : shown) {
            const int row = page.model()->rowOf(name);
            const QString family = page.model()->index(row, ZooTableModel::FamilyColumn).data().toString();
            QVERIFY2(name.contains("mobilenet", Qt::CaseInsensitive) || family.contains("mobilenet", Qt::CaseInsensitive),
                     qPrintable(name));
        }
        page.setFilterText(QStringLiteral("no-such-model"));
        QVERIFY(page.visibleModelNames().isEmpty());
        page.setFilterText(QString());
        QCOMPARE(page.visibleModelNames().size(), all);
    }

    void sortsNumerically() {
        BackbonePage page;
        page.proxy()->sort(ZooTableModel::ParamsColumn, Qt::AscendingOrder);
        qint64 last = -1;
        for (int r = 0; r < page.proxy()->rowCount(); ++r) {
            const qint64 params = page.proxy()->index(r, ZooTableModel::ParamsColumn).data(Qt::EditRole).toLongLong();
            QVERIFY(params >= last);
            last = params;
        }
    }

    void selectingShowsStages() {
        BackbonePage page;
        QSignalSpy changed(&page, &BackbonePage::backboneChanged);
        QVERIFY(page.selectBackbone(QStringLiteral("tiny_cnn")));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(page.selectedBackbone(), QStringLiteral("tiny_cnn"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        const auto expected = ts::zoo::createModel("tiny_cnn")->stages();
        QCOMPARE(page.stages().size(), qsizetype(expected.size()));
        QCOMPARE(page.stages().last().name, QStringLiteral("head"));
        qint64 total = 0;
        for (const auto& s : page.stages()) total += s.numParams;
        QCOMPARE(total, qint64(ts::zoo::modelInfo("tiny_cnn").numParams));
        QVERIFY(!page.selectBackbone(QStringLiteral("no-such-model")));
    }
};

QTEST_MAIN(TestBackbonePage)
#include "test_ui_backbonepage.moc"
