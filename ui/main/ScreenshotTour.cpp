#include "ui/main/ScreenshotTour.h"

#include "ui/main/MainWindow.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExperimentsPage.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InsidePanel.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QTabWidget>
#include <QTemporaryDir>

namespace ts::ui {

QStringList ScreenshotTour::run(const QString& dir, QString* error) {
    QStringList written;
    if (!QDir().mkpath(dir)) {
        if (error) *error = QObject::tr("Cannot create the screenshot folder %1.").arg(dir);
        return written;
    }
    const int previous = m_window.currentStep();
    // Every page shows more with a trained model: the demo project and a short run.
    QTemporaryDir runs;
    if (m_window.trainPage()->runDir().isEmpty() && !m_window.dataPage()->folder().isEmpty() && runs.isValid()) {
        m_window.waitUntilIdle(60000);
        if (m_window.backbonePage()->selectedBackbone() == QLatin1String("tiny_cnn")) m_window.applyDemoSettings();
        m_window.trainPage()->setRunsRoot(runs.path());
        m_window.trainingPage()->startLrFinder(40);
        m_window.waitUntilIdle(120000);
        if (!m_window.trainAndWait(300000) && error) *error = QObject::tr("The demo training did not finish.");
        m_window.exportPage()->setTargetFolder(runs.filePath(QStringLiteral("exports")));
        m_window.exportPage()->setFormatEnabled(QStringLiteral("onnx"), true);
        m_window.exportPage()->startExport();
        m_window.waitUntilIdle(120000);
        // The Experiments page: a small experiment (the learning rate and a
        // tenth of it), then the newest runs compared.
        ExperimentsPage* experiments = m_window.experimentsPage();
        const QString lr = QString::number(m_window.currentConfig().lr / 10, 'g', 3);
        if (QCheckBox* box = experiments->axisBox(QStringLiteral("lr"), lr)) box->setChecked(true);
        if (experiments->runExperiment()) {
            QDeadlineTimer deadline(300000);
            while (experiments->isRunning() && !deadline.hasExpired())
                QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            if (experiments->isRunning()) experiments->stopAndWait();
        }
        if (QCheckBox* box = experiments->axisBox(QStringLiteral("lr"), lr)) box->setChecked(false);
        // The Training page then shows what augmentation would do.
        m_window.trainingPage()->augmentBox()->setCurrentIndex(1);
        m_window.trainingPage()->updatePreviews();
    }
    // The Backbone page shows more with a model selected.
    if (m_window.backbonePage()->selectedBackbone().isEmpty() && !m_window.backbonePage()->visibleModelNames().isEmpty())
        m_window.backbonePage()->selectBackbone(m_window.backbonePage()->visibleModelNames().first());
    for (int i = 0; i < m_window.stepCount(); ++i) {
        m_window.setCurrentStep(i);
        if (!m_window.waitUntilIdle(60000) && error) *error = QObject::tr("Timed out waiting for the %1 page.").arg(MainWindow::stepTitle(i));
        if (i == MainWindow::ExperimentsStep) {
            // The runs table with its newest runs selected: their curves overlaid.
            ExperimentsPage* experiments = m_window.experimentsPage();
            QStringList newest;
            for (const RunRow& r : experiments->rows())
                if (r.error.isEmpty() && newest.size() < 3) newest << r.runDir;
            experiments->selectRuns(newest);
        }
        if (!m_window.waitUntilIdle(60000) && error) *error = QObject::tr("Timed out waiting for the %1 page.").arg(MainWindow::stepTitle(i));
        const QString file = QDir(dir).filePath(QStringLiteral("%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(MainWindow::stepKey(i)));
        if (!m_window.grab().save(file, "PNG")) {
            if (error) *error = QObject::tr("Cannot write the screenshot %1.").arg(file);
            return written;
        }
        written << file;
    }
    // The views inside the network, on the Inspect page.
    if (!m_window.inspectPage()->runDir().isEmpty()) {
        m_window.setCurrentStep(MainWindow::InspectStep);
        InsidePanel* inside = m_window.inspectPage()->insidePanel();
        m_window.inspectPage()->tabs()->setCurrentWidget(inside);
        const struct {
            InsidePanel::View view;
            const char* name;
        } views[] = {{InsidePanel::Filters, "b-inspect-filters.png"},
                     {InsidePanel::FeatureMaps, "c-inspect-feature-maps.png"},
                     {InsidePanel::GradCam, "d-inspect-gradcam.png"}};
        const QString number = QStringLiteral("%1").arg(MainWindow::InspectStep + 1, 2, 10, QLatin1Char('0'));
        for (const auto& v : views) {
            inside->setView(v.view);
            inside->refresh();
            m_window.waitUntilIdle(60000);
            const QString file = QDir(dir).filePath(number + QLatin1String(v.name));
            if (m_window.grab().save(file, "PNG")) written << file;
        }
        m_window.inspectPage()->tabs()->setCurrentIndex(0);
    }
    m_window.setCurrentStep(previous);
    return written;
}

} // namespace ts::ui
