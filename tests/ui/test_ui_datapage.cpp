// DataPage: a generated dataset shows the right classes and counts, in the
// table and in the chart; an unusable folder shows the scan's error.
#include "ui/main/Application.h"
#include "ui/models/ClassCountsModel.h"
#include "ui/pages/DataPage.h"
#include "ui/widgets/ClassCountChart.h"

#include <QDir>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using ts::ui::ClassCountsModel;
using ts::ui::DataPage;

namespace {

// ROOT/<class>/<n>.png with `counts[class]` small images each.
void writeDataset(const QString& root, const QMap<QString, int>& counts) {
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        QDir().mkpath(root + "/" + it.key());
        for (int i = 0; i < it.value(); ++i) {
            QImage image(8, 8, QImage::Format_RGB32);
            image.fill(QColor(i * 20 % 256, 100, 50));
            QVERIFY(image.save(QStringLiteral("%1/%2/%3.png").arg(root, it.key()).arg(i)));
        }
    }
}

} // namespace

class TestDataPage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
    }

    void flatFolderShowsClassCounts() {
        QTemporaryDir dir;
        const QMap<QString, int> counts{{"cat", 10}, {"dog", 15}, {"fox", 5}};
        writeDataset(dir.path(), counts);
        // Not an image: ignored, and said so.
        QFile note(dir.filePath("cat/notes.txt"));
        QVERIFY(note.open(QIODevice::WriteOnly));
        note.close();

        DataPage page;
        QSignalSpy changed(&page, &DataPage::datasetChanged);
        page.setFolder(dir.path());
        QVERIFY(page.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 30000);
        QVERIFY(!page.isBusy());

        const auto& summary = page.summary();
        QVERIFY2(summary.isValid(), qPrintable(summary.error));
        QCOMPARE(summary.classes, QStringList({"cat", "dog", "fox"}));
        QCOMPARE(summary.splitSource, QStringLiteral("split"));

        ClassCountsModel* model = page.countsModel();
        QCOMPARE(model->rowCount(), 3);
        const QVector<double> train = page.chart()->barValues("train");
        const QVector<double> val = page.chart()->barValues("val");
        QCOMPARE(train.size(), 3);
        QCOMPARE(val.size(), 3);
        int row = 0;
        for (auto it = counts.begin(); it != counts.end(); ++it, ++row) {
            QCOMPARE(model->index(row, ClassCountsModel::ClassColumn).data().toString(), it.key());
            QCOMPARE(model->index(row, ClassCountsModel::TotalColumn).data().toLongLong(), qint64(it.value()));
            const qint64 t = model->index(row, ClassCountsModel::TrainColumn).data().toLongLong();
            const qint64 v = model->index(row, ClassCountsModel::ValColumn).data().toLongLong();
            QCOMPARE(t + v, qint64(it.value()));
            QVERIFY2(v >= 1, "every class gets validation images");
            QCOMPARE(train[row], double(t));
            QCOMPARE(val[row], double(v));
        }
        QCOMPARE(summary.totalImages(), qint64(30));
        auto* status = page.findChild<QLabel*>(QStringLiteral("dataStatus"));
        QVERIFY(status);
        QVERIFY2(status->text().contains(QStringLiteral("30 images")), qPrintable(status->text()));
    }

    void trainValFoldersAreUsedAsGiven() {
        QTemporaryDir dir;
        writeDataset(dir.filePath("train"), {{"a", 6}, {"b", 4}});
        writeDataset(dir.filePath("val"), {{"a", 2}, {"b", 3}});
        DataPage page;
        QSignalSpy changed(&page, &DataPage::datasetChanged);
        page.setFolder(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 30000);
        const auto& summary = page.summary();
        QVERIFY2(summary.isValid(), qPrintable(summary.error));
        QCOMPARE(summary.splitSource, QStringLiteral("folders"));
        QCOMPARE(summary.trainCounts, QVector<qint64>({6, 4}));
        QCOMPARE(summary.valCounts, QVector<qint64>({2, 3}));
    }

    void unusableFolderShowsTheError() {
        QTemporaryDir dir;
        const QString missing = dir.filePath("does-not-exist");
        DataPage page;
        QSignalSpy changed(&page, &DataPage::datasetChanged);
        page.setFolder(missing);
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 30000);
        QVERIFY(!page.summary().isValid());
        QVERIFY2(page.summary().error.contains(QStringLiteral("does-not-exist")), qPrintable(page.summary().error));
        QCOMPARE(page.countsModel()->rowCount(), 0);
        auto* status = page.findChild<QLabel*>(QStringLiteral("dataStatus"));
        QCOMPARE(status->text(), page.summary().error);
    }

    void closingDuringAScanDoesNotHang() {
        QTemporaryDir dir;
        writeDataset(dir.path(), {{"a", 3}, {"b", 3}});
        auto* page = new DataPage;
        page->setFolder(dir.path());
        delete page;  // joins the worker thread
    }
};

QTEST_MAIN(TestDataPage)
#include "test_ui_datapage.moc"
