// DataPage: a generated dataset shows the right classes and counts, in the
// table and in the chart; an unusable folder shows the scan's error. The
// doctor lists real bad files (empty, text renamed .png, truncated JPEG,
// duplicates, tiny images, class imbalance), its rows exclude and include
// files, and a new folder or the page's end cancels it. Thumbnails of a class
// arrive from the worker thread, capped, while the UI thread keeps running.
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"
#include "ui/main/Application.h"
#include "ui/models/ClassCountsModel.h"
#include "ui/models/ProblemsModel.h"
#include "ui/pages/DataPage.h"
#include "ui/widgets/ClassCountChart.h"
#include "ui/workers/ThumbnailWorker.h"

#include <QAction>
#include <QBuffer>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "UiTestSupport.h"

#include <set>

#include <sys/stat.h>

using ts::ui::ClassCountsModel;
using ts::ui::DataPage;
using ts::ui::DataProblem;
using ts::ui::ProblemsModel;

namespace {

// ROOT/<class>/<n>.png with `counts[class]` small images each.
void writeDataset(const QString& root, const QMap<QString, int>& counts) {
    QVERIFY(ts::uitest::writeDataset(root, counts, 8));
}

// A `side` x `side` image of seeded noise: every seed gives different bytes.
QImage noiseImage(int side, quint32 seed) {
    QImage image(side, side, QImage::Format_RGB32);
    QRandomGenerator rng(seed);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) image.setPixel(x, y, 0xff000000u | (rng.generate() & 0xffffffu));
    return image;
}

// A dataset with real problems, class "a" (14 good PNGs and the bad files)
// and class "b" (3 good PNGs: a 1:5 imbalance).
struct BadDataset {
    QString root, empty, text, truncated, tiny, dup1, dup2;
};

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

BadDataset writeBadDataset(const QString& root) {
    BadDataset d;
    d.root = QDir(root).absolutePath();
    QDir().mkpath(root + "/a");
    QDir().mkpath(root + "/b");
    for (int i = 0; i < 14; ++i) noiseImage(40, quint32(i + 1)).save(QStringLiteral("%1/a/good%2.png").arg(root).arg(i, 2, 10, QLatin1Char('0')));
    for (int i = 0; i < 3; ++i) noiseImage(40, quint32(100 + i)).save(QStringLiteral("%1/b/good%2.png").arg(root).arg(i));
    d.empty = d.root + "/a/empty.jpg";
    writeFile(d.empty, {});
    d.text = d.root + "/a/notes.png";
    writeFile(d.text, "These are my notes, not a picture.\n");
    d.truncated = d.root + "/a/truncated.jpg";
    {
        QByteArray jpeg;
        QBuffer buffer(&jpeg);
        buffer.open(QIODevice::WriteOnly);
        noiseImage(64, 7).save(&buffer, "JPG", 90);
        writeFile(d.truncated, jpeg.left(jpeg.size() / 2));
    }
    d.tiny = d.root + "/a/tiny.png";
    noiseImage(8, 9).save(d.tiny);
    d.dup1 = d.root + "/a/dup1.png";
    d.dup2 = d.root + "/a/dup2.png";
    noiseImage(40, 55).save(d.dup1);
    QFile::copy(d.dup1, d.dup2);
    return d;
}

// ROOT/many (230) and ROOT/few (80, under the doctor's 1:3 imbalance) noise JPEGs of `side` px: enough work that
// the doctor and the thumbnails take a while.
void writeLargeDataset(const QString& root, int side = 192) {
    for (const auto& [name, n] : {std::pair<const char*, int>{"many", 230}, {"few", 80}}) {
        QDir().mkpath(root + "/" + name);
        QImage image = noiseImage(side, 1);
        for (int i = 0; i < n; ++i) {
            // A 16 px block in a colour of its own survives the JPEG quantisation.
            const QRgb mark = qRgb(i * 37 % 256, i * 91 % 256, name[0] == 'm' ? 255 : 0);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) image.setPixel(x, y, mark);
            image.save(QStringLiteral("%1/%2/%3.jpg").arg(root, name).arg(i, 3, 10, QLatin1Char('0')), "JPG", 85);
        }
    }
}

// The source row of the problem about `path` of kind `kind` (any kind when empty); -1 when none.
int problemRow(const ProblemsModel* model, const QString& path, const QString& kind = {}) {
    for (int r = 0; r < model->rowCount(); ++r) {
        const QModelIndex index = model->index(r, 0);
        if (index.data(ProblemsModel::PathRole).toString() == path &&
            (kind.isEmpty() || index.data(ProblemsModel::KindRole).toString() == kind))
            return r;
    }
    return -1;
}

// Selects the problem row `sourceRow` in the page's table (through the proxy).
void selectProblem(DataPage& page, int sourceRow) {
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(page.problemsView()->model());
    const QModelIndex index = proxy->mapFromSource(page.problemsModel()->index(sourceRow, 0));
    page.problemsView()->selectionModel()->select(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QSet<QString> toSet(const QStringList& list) { return QSet<QString>(list.begin(), list.end()); }

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
        QVERIFY(!page.isScanning());

        const auto& summary = page.summary();
        QVERIFY2(summary.isValid(), qPrintable(summary.error));
        QCOMPARE(summary.classes, QStringList({"cat", "dog", "fox"}));
        QVERIFY(summary.splitSource == ts::ui::DatasetSummary::SplitSource::Split);

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
        QVERIFY(summary.splitSource == ts::ui::DatasetSummary::SplitSource::Folders);
        QCOMPARE(summary.trainCounts, QVector<qint64>({6, 4}));
        QCOMPARE(summary.valCounts, QVector<qint64>({2, 3}));
        QVERIFY2(!page.findChild<QSpinBox*>(QStringLiteral("valFraction"))->isEnabled(),
                 "the validation share cannot apply to a given split");
    }

    void validationShareAndSeedSetTheSplit() {
        QTemporaryDir dir;
        writeDataset(dir.path(), {{"a", 10}, {"b", 20}});
        DataPage page;
        QSignalSpy changed(&page, &DataPage::datasetChanged);
        page.setFolder(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 30000);
        QCOMPARE(page.summary().valCounts, QVector<qint64>({2, 4}));
        auto* share = page.findChild<QSpinBox*>(QStringLiteral("valFraction"));
        QVERIFY(share->isEnabled());
        page.excludeFiles({dir.filePath("a/0.png")});
        share->setValue(50);  // as the user does: a rescan with the new share
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 2, 30000);
        QCOMPARE(page.valFraction(), 0.5);
        QCOMPARE(page.summary().valCounts, QVector<qint64>({5, 10}));
        QCOMPARE(page.summary().trainCounts, QVector<qint64>({5, 10}));
        QCOMPARE(page.excludedFiles(), QStringList({dir.filePath("a/0.png")}));  // same folder: kept
        // The split is the trainer's: the same files for the same share and seed.
        const ts::data::DatasetIndex index = ts::data::indexDataset(dir.path().toStdString(), {0.5, 7});
        page.setSplit(0.5, 7);
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 3, 30000);
        QCOMPARE(page.splitSeed(), quint64(7));
        QCOMPARE(share->value(), 50);
        QVERIFY(page.findChild<QLabel*>(QStringLiteral("dataStatus"))->text().contains(QStringLiteral("seed 7")));
        const std::vector<int64_t> val = index.classCounts(index.val);
        QCOMPARE(page.summary().valCounts, QVector<qint64>(val.begin(), val.end()));
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

    // Issue #20 item 14: a fine greyscale dataset has notes, not problems.
    void greyscaleImagesAreNotesNotProblems() {
        QTemporaryDir dir;
        for (const char* cls : {"a", "b"}) {
            QVERIFY(QDir(dir.path()).mkpath(QString::fromLatin1(cls)));
            for (int i = 0; i < 6; ++i) {
                QImage grey(40, 40, QImage::Format_Grayscale8);
                const int seed = i + (cls[0] == 'b' ? 50 : 0);  // every image its own content: no duplicates
                for (int y = 0; y < 40; ++y)
                    for (int x = 0; x < 40; ++x) {
                        const int v = (x * 7 + y * 3 + seed * 11) % 256;
                        grey.setPixel(x, y, qRgb(v, v, v));
                    }
                QVERIFY(grey.save(dir.filePath(QStringLiteral("%1/g%2.png").arg(QLatin1String(cls)).arg(i))));
            }
        }
        DataPage page;
        QSignalSpy diagnosed(&page, &DataPage::doctorFinished);
        page.setFolder(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(diagnosed.count(), 1, 60000);
        const ts::ui::DoctorResult& result = page.doctorResult();
        QVERIFY2(result.isValid(), qPrintable(result.error));
        QCOMPARE(result.count(DataProblem::Info), 12);
        QCOMPARE(page.tabs()->tabText(0), QStringLiteral("Problems (0)"));
        auto* summaryLabel = page.findChild<QLabel*>(QStringLiteral("doctorSummary"));
        QVERIFY2(summaryLabel->text().contains(QStringLiteral("No problems found. 12 note(s), nothing to do.")),
                 qPrintable(summaryLabel->text()));
    }

    void doctorListsTheProblems() {
        QTemporaryDir dir;
        const BadDataset d = writeBadDataset(dir.path());
        DataPage page;
        QSignalSpy diagnosed(&page, &DataPage::doctorFinished);
        page.setFolder(d.root);
        QTRY_COMPARE_WITH_TIMEOUT(diagnosed.count(), 1, 60000);
        QVERIFY(!page.isDiagnosing());
        const ts::ui::DoctorResult& result = page.doctorResult();
        QVERIFY2(result.isValid(), qPrintable(result.error));
        QCOMPARE(result.root, d.root);
        QCOMPARE(result.filesChecked, qint64(14 + 3 + 6));

        ProblemsModel* model = page.problemsModel();
        QCOMPARE(model->rowCount(), result.problems.size());
        const struct {
            QString path;
            const char* kind;
            DataProblem::Severity severity;
        } expected[] = {{d.empty, "empty_file", DataProblem::Error},
                        {d.text, "not_an_image", DataProblem::Error},
                        {d.truncated, "truncated", DataProblem::Error},
                        {d.tiny, "tiny_image", DataProblem::Warning}};
        for (const auto& e : expected) {
            const int row = problemRow(model, e.path, QLatin1String(e.kind));
            QVERIFY2(row >= 0, qPrintable(e.path + " " + e.kind));
            QCOMPARE(model->index(row, 0).data(ProblemsModel::SeverityRole).toInt(), int(e.severity));
            QVERIFY(model->index(row, 0).data(ProblemsModel::ExcludableRole).toBool());
            // Relative to the dataset in the table, the full path in the tooltip.
            QCOMPARE(model->index(row, ProblemsModel::FileColumn).data().toString(),
                     QDir::toNativeSeparators(QDir(d.root).relativeFilePath(e.path)));
            QVERIFY(model->index(row, ProblemsModel::FileColumn).data(Qt::ToolTipRole).toString().contains(
                QDir::toNativeSeparators(e.path)));
            QVERIFY(!model->index(row, ProblemsModel::MessageColumn).data().toString().isEmpty());
        }
        // The copy: a duplicate, or leakage when the split put the pair apart.
        int dup = problemRow(model, d.dup2);
        if (dup < 0) dup = problemRow(model, d.dup1);
        QVERIFY(dup >= 0);
        const QString dupKind = model->index(dup, 0).data(ProblemsModel::KindRole).toString();
        QVERIFY2(dupKind == QLatin1String("duplicate") || dupKind == QLatin1String("leakage"), qPrintable(dupKind));
        // Dataset-wide: the imbalance, on the root, cannot be excluded.
        const int imbalance = problemRow(model, d.root, QStringLiteral("imbalance"));
        QVERIFY(imbalance >= 0);
        QVERIFY(!model->index(imbalance, 0).data(ProblemsModel::ExcludableRole).toBool());

        // The same files as core's doctor finds unusable.
        const auto report = ts::data::diagnose(ts::data::indexDataset(d.root.toStdString()));
        QStringList coreBad;
        for (const auto& f : report.badFiles()) coreBad << QString::fromStdString(f);
        QCOMPARE(toSet(result.badFiles), toSet(coreBad));
        QCOMPARE(toSet(result.badFiles), QSet<QString>({d.empty, d.text, d.truncated}));
        QCOMPARE(result.count(DataProblem::Error), int(report.count(ts::data::Severity::Error)));

        // The summary and the tab title.
        auto* summaryLabel = page.findChild<QLabel*>(QStringLiteral("doctorSummary"));
        QVERIFY(summaryLabel->text().contains(QStringLiteral("23 file(s) checked")));
        QVERIFY2(summaryLabel->text().contains(QStringLiteral("3 error(s)")), qPrintable(summaryLabel->text()));
        // Notes (conversions, nothing to do) are not counted as problems.
        QCOMPARE(page.tabs()->tabText(0), QStringLiteral("Problems (%1)")
                                              .arg(result.count(DataProblem::Error) + result.count(DataProblem::Warning)));

        // Messages name files relative to the dataset (the file column has the full path as tooltip).
        const int textRow = problemRow(model, d.text);
        QVERIFY2(model->index(textRow, ProblemsModel::MessageColumn).data().toString().startsWith(QStringLiteral("'a/notes.png'")),
                 qPrintable(model->index(textRow, ProblemsModel::MessageColumn).data().toString()));
        // Shown with its problems, the page still fits beside the sidebar on a small screen.
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY2(page.minimumSizeHint().width() <= 700, qPrintable(QString::number(page.minimumSizeHint().width())));
        // Errors only.
        page.setSeverityFilter(DataPage::ErrorsOnly);
        QCOMPARE(page.problemsView()->model()->rowCount(), result.count(DataProblem::Error));
        page.setSeverityFilter(DataPage::AllProblems);
        QCOMPARE(page.problemsView()->model()->rowCount(), result.problems.size());
    }

    void excludeAndIncludeProblemFiles() {
        QTemporaryDir dir;
        const BadDataset d = writeBadDataset(dir.path());
        DataPage page;
        QSignalSpy diagnosed(&page, &DataPage::doctorFinished);
        QSignalSpy excludedChanged(&page, &DataPage::exclusionsChanged);
        page.setFolder(d.root);
        QTRY_COMPARE_WITH_TIMEOUT(diagnosed.count(), 1, 60000);
        ProblemsModel* model = page.problemsModel();
        QVERIFY(page.excludedFiles().isEmpty());

        // Exclude the empty file through its row.
        const int emptyRow = problemRow(model, d.empty, QStringLiteral("empty_file"));
        QVERIFY(emptyRow >= 0);
        selectProblem(page, emptyRow);
        QCOMPARE(page.selectedExcludableFiles(), QStringList({d.empty}));
        QVERIFY(page.excludeAction()->isEnabled());
        QVERIFY(!page.includeAction()->isEnabled());
        QVERIFY(page.openFolderAction()->isEnabled());
        page.excludeAction()->trigger();
        QCOMPARE(page.excludedFiles(), QStringList({d.empty}));
        QVERIFY(page.isExcluded(d.empty));
        QVERIFY(excludedChanged.count() >= 1);
        QCOMPARE(excludedChanged.last().at(0).toStringList(), QStringList({d.empty}));
        // Visible: struck through, counted, and "Include again" instead.
        QVERIFY(model->index(emptyRow, 0).data(ProblemsModel::ExcludedRole).toBool());
        QVERIFY(model->index(emptyRow, ProblemsModel::FileColumn).data(Qt::FontRole).value<QFont>().strikeOut());
        QVERIFY(page.findChild<QLabel*>(QStringLiteral("excludedLabel"))->text().contains(QStringLiteral("1 file")));
        QVERIFY(!page.excludeAction()->isEnabled());
        QVERIFY(page.includeAction()->isEnabled());
        page.includeAction()->trigger();
        QVERIFY(page.excludedFiles().isEmpty());
        QVERIFY(!model->index(emptyRow, 0).data(ProblemsModel::ExcludedRole).toBool());

        // A dataset-wide problem cannot be excluded.
        const int imbalance = problemRow(model, d.root, QStringLiteral("imbalance"));
        selectProblem(page, imbalance);
        QVERIFY(page.selectedExcludableFiles().isEmpty());
        QVERIFY(!page.excludeAction()->isEnabled());
        page.excludeAction()->trigger();  // as a stray shortcut would
        QVERIFY(page.excludedFiles().isEmpty());

        // Every unusable file at once: exactly the doctor's bad files.
        QVERIFY(page.excludeAllAction()->isEnabled());
        QVERIFY2(page.excludeAllAction()->text().contains(QStringLiteral("(3)")), qPrintable(page.excludeAllAction()->text()));
        page.excludeAllAction()->trigger();
        QCOMPARE(toSet(page.excludedFiles()), toSet(page.doctorResult().badFiles));
        QVERIFY(!page.excludeAllAction()->isEnabled());
        // The excluded paths are the ones the trainer's index holds.
        const auto index = ts::data::indexDataset(d.root.toStdString());
        std::set<std::string> listed;
        for (const auto& item : index.all()) listed.insert(item.path);
        for (const QString& f : page.excludedFiles()) QVERIFY2(listed.count(f.toStdString()), qPrintable(f));

        // Re-scanning the same folder keeps them; another folder drops them.
        page.setFolder(d.root);
        QTRY_COMPARE_WITH_TIMEOUT(diagnosed.count(), 2, 60000);
        QCOMPARE(page.excludedFiles().size(), 3);
        QVERIFY(model->index(problemRow(model, d.text), 0).data(ProblemsModel::ExcludedRole).toBool());
        QTemporaryDir other;
        writeDataset(other.path(), {{"x", 3}, {"y", 3}});
        page.setFolder(other.path());
        QVERIFY(page.excludedFiles().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
    }

    void newFolderCancelsTheRunningDoctor() {
        QTemporaryDir big, small;
        writeLargeDataset(big.path());
        writeDataset(small.path(), {{"x", 4}, {"y", 4}});
        DataPage page;
        QSignalSpy diagnosed(&page, &DataPage::doctorFinished);
        page.setFolder(big.path());
        QTRY_VERIFY_WITH_TIMEOUT(page.isDiagnosing(), 30000);
        auto* progress = page.findChild<QWidget*>(QStringLiteral("doctorProgress"));
        QVERIFY(progress && !progress->isHidden());
        QElapsedTimer timer;
        timer.start();
        page.setFolder(small.path());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 30000);
        qInfo("switching folders mid-doctor took %lld ms", timer.elapsed());
        // Only the new folder's report arrives; the old one was dropped.
        QCOMPARE(diagnosed.count(), 1);
        QCOMPARE(diagnosed.first().at(0).value<ts::ui::DoctorResult>().root, QDir(small.path()).absolutePath());
        QCOMPARE(page.doctorResult().root, QDir(small.path()).absolutePath());
        QCOMPARE(page.doctorResult().filesChecked, qint64(8));
        QVERIFY(progress->isHidden());
    }

    void destroyingThePageMidDoctorReturnsPromptly() {
        QTemporaryDir big;
        writeLargeDataset(big.path());
        auto* page = new DataPage;
        page->setFolder(big.path());
        QTRY_VERIFY_WITH_TIMEOUT(page->isDiagnosing(), 30000);
        QElapsedTimer timer;
        timer.start();
        delete page;  // cancels the doctor and joins its thread
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    }

    void thumbnailsLoadOffTheUiThread() {
        QTemporaryDir big;
        writeLargeDataset(big.path(), 256);
        DataPage page;
        QSignalSpy diagnosed(&page, &DataPage::doctorFinished);
        QSignalSpy loaded(&page, &DataPage::thumbnailsLoaded);
        page.setFolder(big.path());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        QCOMPARE(page.summary().classes, QStringList({"few", "many"}));
        QCOMPARE(page.summary().total(1), qint64(230));
        // No problems here: the page shows the first class's images by itself.
        QVERIFY2(page.doctorResult().problems.isEmpty(),
                 qPrintable(page.doctorResult().problems.value(0).message));
        QCOMPARE(page.tabs()->currentWidget()->objectName(), QStringLiteral("imagesTab"));
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(page.thumbnailClass(), 0);
        loaded.clear();

        // The UI thread keeps ticking while the worker decodes.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, maxGapMs = 0;
        QTimer ticker;
        ticker.setInterval(5);
        connect(&ticker, &QTimer::timeout, this, [&] {
            maxGapMs = qMax(maxGapMs, clock.elapsed() - last);
            last = clock.elapsed();
        });
        ticker.start();
        QElapsedTimer call;
        call.start();
        page.showClassImages(1);
        QVERIFY2(call.elapsed() < 200, qPrintable(QString::number(call.elapsed())));
        QCOMPARE(page.thumbnailView()->count(), 0);  // nothing decoded on this thread
        QVERIFY(page.isLoadingThumbnails());
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        ticker.stop();
        qInfo("thumbnails: largest UI-thread gap %lld ms", maxGapMs);
        QVERIFY2(maxGapMs < 1000, qPrintable(QString::number(maxGapMs)));
        QCOMPARE(loaded.first().at(0).toInt(), 1);
        // Capped at the listing size, with the note saying so.
        QCOMPARE(loaded.first().at(1).toInt(), ts::ui::DatasetSummary::kListedFilesPerClass);
        QListWidget* grid = page.thumbnailView();
        QCOMPARE(grid->count(), ts::ui::DatasetSummary::kListedFilesPerClass);
        QVERIFY2(page.findChild<QLabel*>(QStringLiteral("thumbnailNote"))->text().contains(QStringLiteral("200 of 230")),
                 qPrintable(page.findChild<QLabel*>(QStringLiteral("thumbnailNote"))->text()));
        for (int i = 0; i < grid->count(); ++i) {
            QVERIFY(!grid->item(i)->icon().isNull());
            QVERIFY(grid->item(i)->toolTip().contains(QStringLiteral("256 × 256 px")));
        }
        QVERIFY(grid->item(0)->toolTip().contains(QDir::toNativeSeparators(page.summary().classFiles[1].first())));

        // Another class: the pending load is dropped, the new one completes.
        page.showClassImages(1);  // same class: nothing reloads
        QVERIFY(!page.isLoadingThumbnails());
        loaded.clear();
        page.showClassImages(0);
        QTRY_VERIFY_WITH_TIMEOUT(page.isLoadingThumbnails() || loaded.count() > 0, 1000);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        QCOMPARE(loaded.first().at(0).toInt(), 0);
        QCOMPARE(grid->count(), 80);
    }

    void switchingClassCancelsThePendingLoad() {
        QTemporaryDir big;
        writeLargeDataset(big.path(), 256);
        DataPage page;
        QSignalSpy loaded(&page, &DataPage::thumbnailsLoaded);
        page.setFolder(big.path());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        loaded.clear();
        page.showClassImages(1);
        page.showClassImages(0);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isLoadingThumbnails(), 60000);
        QCOMPARE(loaded.count(), 1);  // only the last request reports
        QCOMPARE(loaded.first().at(0).toInt(), 0);
        QCOMPARE(page.thumbnailView()->count(), 80);
        for (int i = 0; i < page.thumbnailView()->count(); ++i)
            QVERIFY(page.thumbnailView()->item(i)->text().endsWith(QStringLiteral(".jpg")));
        QVERIFY(page.thumbnailView()->item(0)->toolTip().contains(QStringLiteral("few")));
    }

    void excludedFilesAreMarkedInTheGrid() {
        QTemporaryDir dir;
        const BadDataset d = writeBadDataset(dir.path());
        DataPage page;
        QSignalSpy loaded(&page, &DataPage::thumbnailsLoaded);
        page.setFolder(d.root);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        // A click on the class row opens its images.
        page.findChild<QTableView*>(QStringLiteral("classTable"))->clicked(page.countsModel()->index(0, 0));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        QCOMPARE(page.thumbnailClass(), 0);
        QListWidget* grid = page.thumbnailView();
        QCOMPARE(qint64(grid->count()), page.summary().total(0));  // every listed file of "a", bad ones too
        QListWidgetItem* empty = nullptr;
        for (int i = 0; i < grid->count(); ++i) {
            QVERIFY(!grid->item(i)->icon().isNull());  // unreadable files get a placeholder
            if (grid->item(i)->text() == QLatin1String("empty.jpg")) empty = grid->item(i);
        }
        QVERIFY(empty);
        QVERIFY(empty->toolTip().contains(QStringLiteral("Cannot be read")));
        QVERIFY(!empty->font().strikeOut());
        page.excludeFiles({d.empty});
        QVERIFY(empty->font().strikeOut());
        QVERIFY(empty->toolTip().contains(QStringLiteral("Excluded from training")));
        page.includeFiles({d.empty});
        QVERIFY(!empty->font().strikeOut());
    }

    // Thumbnails read files with the training budgets: a FIFO is refused
    // without being opened (the read would block), a header over the pixel
    // budget is refused before decoding, and a good image still comes back
    // rotated by its EXIF orientation.
    void thumbnailsRefuseHostileFiles() {
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("pipe.png"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QElapsedTimer timer;
        timer.start();
        const ts::ui::Thumbnail fromFifo = ts::ui::ThumbnailWorker::readThumbnail(fifo, 64);
        QVERIFY(timer.elapsed() < 5000);
        QVERIFY(fromFifo.image.isNull());
        QVERIFY2(fromFifo.error.contains(QStringLiteral("pipe.png")), qPrintable(fromFifo.error));

        // A real PNG of 40 x 30 whose header is rewritten to say 30000 x 30000
        // (900 megapixels): refused by the header, never decoded.
        QByteArray png;
        {
            QBuffer b(&png);
            b.open(QIODevice::WriteOnly);
            QVERIFY(noiseImage(40, 7).save(&b, "PNG"));
        }
        QByteArray bomb = png;
        const char side[4] = {0, 0, 0x75, 0x30};  // 30000, big-endian, width and height of IHDR
        bomb.replace(16, 4, QByteArray(side, 4));
        bomb.replace(20, 4, QByteArray(side, 4));
        const QString bombPath = dir.filePath(QStringLiteral("bomb.png"));
        {
            QFile f(bombPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bomb);
        }
        const ts::ui::Thumbnail fromBomb = ts::ui::ThumbnailWorker::readThumbnail(bombPath, 64);
        QVERIFY(fromBomb.image.isNull());
        QVERIFY2(fromBomb.error.contains(QStringLiteral("bomb.png")) && fromBomb.error.contains(QStringLiteral("pixels")),
                 qPrintable(fromBomb.error));

        // The same budgets can be set: a 2 KB file limit refuses the good file by size.
        const QString goodPath = dir.filePath(QStringLiteral("good.png"));
        {
            QFile f(goodPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(png);
        }
        const ts::ui::Thumbnail good = ts::ui::ThumbnailWorker::readThumbnail(goodPath, 16);
        QVERIFY2(!good.image.isNull(), qPrintable(good.error));
        QCOMPARE(good.size, QSize(40, 40));
        QCOMPARE(good.image.size(), QSize(16, 16));
        ts::data::ImageLimits tight;
        tight.maxFileBytes = std::min<qint64>(png.size() - 1, 2048);
        const ts::ui::Thumbnail tooBig = ts::ui::ThumbnailWorker::readThumbnail(goodPath, 16, tight);
        QVERIFY(tooBig.image.isNull());
        QVERIFY2(tooBig.error.contains(QStringLiteral("good.png")), qPrintable(tooBig.error));
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
