#pragma once
// InsidePanel: views inside the trained network (part of the Inspect page).
// A layer picker, the view (filters, feature maps, Grad-CAM, saliency,
// activation maximisation), an image (drop one, or open it), zoom, and a
// tooltip per filter or channel. Views are computed in TaskManager jobs;
// activation maximisation shows progress and can be cancelled.
//
// Thread safety: UI thread only.
#include "ui/models/VizBridge.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSlider;
class QSpinBox;

namespace ts::ui {

class TaskManager;

class InsidePanel : public QWidget {
    Q_OBJECT
public:
    enum View { Filters, FeatureMaps, GradCam, Saliency, Maximize };

    explicit InsidePanel(QWidget* parent = nullptr);
    ~InsidePanel() override;

    /// The trained model (bundle file); lists its layers.
    void setModel(const QString& bundle);
    /// The image the image views use.
    void setImage(const QString& path);
    QString image() const { return m_image; }
    void setView(View view);
    /// The model's class names, for the "explain class" choice of Grad-CAM and saliency.
    void setClasses(const QStringList& classes);
    /// The class the image views explain: -1 for the predicted one.
    void setExplainedClass(int classIndex);
    QComboBox* classBox() const { return m_class; }
    /// Chooses a layer by name; false when the model has no such layer.
    bool setLayer(const QString& name);
    QStringList layerNames() const;
    /// Computes the current view (results arrive later; see viewReady()).
    void refresh();
    void cancel();
    bool isBusy() const;

    /// The last result shown.
    const VizImage& current() const { return m_current; }
    QComboBox* layerBox() const { return m_layer; }
    QComboBox* viewBox() const { return m_view; }

Q_SIGNALS:
    void viewReady();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void show(const VizImage& v);
    int defaultLayer(View view) const;
    void applyZoom();

    QString m_bundle;
    QString m_image;
    QVector<VizLayer> m_layers;
    VizImage m_current;
    QComboBox* m_view = nullptr;
    QComboBox* m_layer = nullptr;
    QSpinBox* m_channel = nullptr;
    QComboBox* m_class = nullptr;
    QSlider* m_zoom = nullptr;
    QPushButton* m_openImage = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_imageLabel = nullptr;
    QLabel* m_caption = nullptr;
    QLabel* m_picture = nullptr;
    QScrollArea* m_scroll = nullptr;
    TaskManager* m_tasks = nullptr;
    quint64 m_vizJob = 0;  ///< the view being computed (a newer one replaces it)
};

} // namespace ts::ui
