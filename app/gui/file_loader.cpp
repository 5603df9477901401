// Model loading (through the engine) and audio folder scans on the pool, with busy tracking.
#include "app/gui/file_loader.h"

#include <QDir>
#include <QFileInfo>
#include <QThreadPool>

#include "app/gui/background_job.h"
#include "core/engine/engine.h"

namespace qs::gui {

FileLoader::FileLoader(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {}

FileLoader::~FileLoader() = default;  // jobs capture only values; the pool's owner waits for them

void FileLoader::begin() {
    if (pending_++ == 0) emit busyChanged(true);
}

void FileLoader::end() {
    if (--pending_ == 0) emit busyChanged(false);
}

void FileLoader::loadModel(const QString& path) {
    begin();
    const std::string p = QDir::cleanPath(QFileInfo(path).absoluteFilePath()).toStdString();
    runInBackground<std::shared_ptr<const SpeechModel>>(
        pool_, this, [p] { return engine().loadModel(p); },
        [this, path = QString::fromStdString(p)](const JobOutcome<std::shared_ptr<const SpeechModel>>& out) {
            if (out.value) {
                emit modelLoaded(*out.value, path);
            } else {
                emit failed(tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), out.error));
            }
            end();  // after the result is in place, so "not busy" means everything has landed
        });
}

void FileLoader::scanAudio(const QString& dir) {
    begin();
    const std::string d = QDir::cleanPath(QFileInfo(dir).absoluteFilePath()).toStdString();
    runInBackground<std::shared_ptr<const AudioCorpus>>(
        pool_, this, [d] { return std::make_shared<const AudioCorpus>(AudioCorpus::scan(d)); },
        [this, dir = QString::fromStdString(d)](const JobOutcome<std::shared_ptr<const AudioCorpus>>& out) {
            if (out.value) {
                emit audioScanned(*out.value, dir);
            } else {
                emit failed(tr("Could not read %1: %2").arg(QFileInfo(dir).fileName(), out.error));
            }
            end();
        });
}

}  // namespace qs::gui
