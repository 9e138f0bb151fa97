#pragma once
// What the Qt tests share: image folders written by the test itself, and a
// ProjectSession set up with a model without scanning a dataset.
#include <QMap>
#include <QString>
#include <QStringList>

namespace ts::ui {
class ProjectSession;
}

namespace ts::uitest {

/// How the images of writeDataset look.
enum class Pattern {
    Flat,   ///< a flat colour per class and index, one marked pixel: quick to decode
    Noise,  ///< busy pixels: a larger file that takes the doctor a while
};

/// ROOT/<class>/<i>.png, `counts[class]` images of `side` x `side` pixels,
/// every one different (no duplicates for the doctor). False when an image
/// cannot be written.
bool writeDataset(const QString& root, const QMap<QString, int>& counts, int side = 12, Pattern pattern = Pattern::Flat);
/// The same with `perClass` images in each of `classes`.
bool writeDataset(const QString& root, const QStringList& classes, int perClass = 6, int side = 12,
                  Pattern pattern = Pattern::Flat);
/// An empty file at ROOT/relative (an unusable image for the doctor); its absolute path.
QString writeEmptyFile(const QString& root, const QString& relative);
/// A text file named like an image at ROOT/relative; its absolute path.
QString writeTextFile(const QString& root, const QString& relative);

/// Makes `session` show `arch` (chosen as on the Backbone page, with the
/// zoo's official-weights fact) for a dataset of `numClasses` classes
/// (a summary only: nothing is scanned).
void useModel(ts::ui::ProjectSession& session, const QString& arch, int numClasses);

} // namespace ts::uitest
