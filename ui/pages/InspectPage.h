#pragma once
// InspectPage: step 6, what the trained model does, and why.
//  - Confusion matrix of the validation set as a heatmap (rows: true class,
//    columns: predicted; colour = share of the row); a cell opens the gallery
//    of the images behind it. Per-class precision and recall in the headers.
//  - Gallery of validation images, mistakes first, sorted by loss.
//  - Predict: drop images (or open them) to classify them with the model.
//  - Inside the network: see InsidePanel (filters, feature maps, Grad-CAM,
//    saliency, activation maximisation).
// Predictions run as TaskManager jobs.
//
// Thread safety: UI thread only.
#include "ui/models/ModelBridge.h"
#include "ui/models/TrainTypes.h"

#include <QWidget>

class QHBoxLayout;
class QLabel;
class QListWidget;
class QTableWidget;
class QTabWidget;

namespace ts::ui {

class InsidePanel;
class TaskManager;

class InspectPage : public QWidget {
    Q_OBJECT
public:
    explicit InspectPage(QWidget* parent = nullptr);
    ~InspectPage() override;

    /// Shows a finished run: its last epoch's confusion matrix and metrics,
    /// and starts predicting its validation images for the gallery.
    void setRun(const QString& runDir, const QString& bundlePath, const QStringList& classes,
                const train::EpochMetrics& metrics);
    QString runDir() const { return m_runDir; }

    /// Shows in the gallery the validation images of true class `truth`
    /// predicted as `predicted` (-1: every mistake).
    void showCell(int truth, int predicted);
    /// Classifies `files` with the run's model (results in the Predict tab).
    void predict(const QStringList& files);

    bool isBusy() const;
    QTableWidget* confusionTable() const { return m_confusion; }
    QListWidget* gallery() const { return m_gallery; }
    QListWidget* predictions() const { return m_predictions; }
    InsidePanel* insidePanel() const { return m_inside; }
    QTabWidget* tabs() const { return m_tabs; }
    /// Validation predictions (worst first) once computed.
    const QVector<ImagePrediction>& validationPredictions() const { return m_validation; }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void fillConfusion(const train::EpochMetrics& metrics);

    QString m_runDir;
    QString m_bundlePath;
    QStringList m_classes;
    QVector<ImagePrediction> m_validation;
    QLabel* m_summary = nullptr;
    QTabWidget* m_tabs = nullptr;
    QTableWidget* m_confusion = nullptr;
    QHBoxLayout* m_matrixLayout = nullptr;
    QLabel* m_galleryTitle = nullptr;
    QListWidget* m_gallery = nullptr;
    QListWidget* m_predictions = nullptr;
    QLabel* m_predictNote = nullptr;
    InsidePanel* m_inside = nullptr;
    TaskManager* m_tasks = nullptr;
};

} // namespace ts::ui
