#pragma once
// ThumbnailGrid: the Data page's Images tab. A class picker, a note ("the
// first 200 of 230 images of “cat”") and a grid of thumbnails of that class's
// files, decoded in a background job (ThumbnailWorker on the grid's own
// TaskManager lane: a newer class replaces the load in progress, and
// nothing is decoded on the UI thread). Excluded files are drawn struck out
// (isExcluded, set by the page); the context menu asks the page to exclude,
// include, open the folder or copy the paths (signals).
//
// The grid loads only while it is active (its tab is shown): setActive(true)
// loads the chosen class when it is not the one shown.
//
// Thread safety: UI thread only. Lifetimes: the destructor cancels the load
// and waits for it.
#include "ui/models/DatasetSummary.h"

#include <QStringList>
#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QListWidget;
class QListWidgetItem;

namespace ts::ui {

class TaskManager;
struct Thumbnail;

class ThumbnailGrid : public QWidget {
    Q_OBJECT
public:
    /// Longer side of a thumbnail, in pixels.
    static constexpr int kThumbnailPx = 96;

    explicit ThumbnailGrid(QWidget* parent = nullptr);
    ~ThumbnailGrid() override;

    /// Which files are drawn as excluded (null: none).
    void setExclusionCheck(std::function<bool(const QString&)> isExcluded);
    /// Redraws every thumbnail (the exclusions changed).
    void refreshMarks();

    /// The classes of a new scan (the grid empties; it loads class 0 when active).
    void setDataset(const DatasetSummary& summary);
    /// Stops the load in progress and empties the grid (a new folder).
    void clear();
    /// Shows class `classIndex` (loads it unless it is the one shown).
    void showClass(int classIndex);
    void setActive(bool active);

    /// The class shown (or loading); -1 when none.
    int currentClass() const { return m_class; }
    bool isLoading() const;
    QListWidget* view() const { return m_grid; }

Q_SIGNALS:
    /// Every thumbnail of `classIndex` (up to the listing cap) is shown.
    void loaded(int classIndex, int count);
    void excludeRequested(const QStringList& files);
    void includeRequested(const QStringList& files);
    void openFolderRequested(const QString& file);
    void copyRequested(const QStringList& files);

private:
    void load(int classIndex);
    void addBatch(const QVector<Thumbnail>& thumbnails);
    void mark(QListWidgetItem* item) const;
    void showMenu(const QPoint& pos);
    bool excluded(const QString& file) const { return m_isExcluded && m_isExcluded(file); }

    QComboBox* m_classBox = nullptr;
    QLabel* m_note = nullptr;
    QListWidget* m_grid = nullptr;
    TaskManager* m_tasks = nullptr;
    DatasetSummary m_summary;
    std::function<bool(const QString&)> m_isExcluded;
    int m_class = -1;
    bool m_active = false;
};

} // namespace ts::ui
