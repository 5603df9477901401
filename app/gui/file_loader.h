// Opens models and scans audio folders on the thread pool. A TorchScript load (with its probe pass)
// or a scan of a large folder can take seconds; the window keeps running meanwhile.
#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "core/audio/audio_corpus.h"
#include "core/model/speech_model.h"

class QThreadPool;

namespace qs::gui {

class FileLoader : public QObject {
    Q_OBJECT
public:
    FileLoader(QThreadPool* pool, QObject* parent = nullptr);
    ~FileLoader() override;

    void loadModel(const QString& path);
    // Scans with default options (16 kHz): the panel shows speakers, clips and durations; the
    // analysis rescans with the model's own sample rate.
    void scanAudio(const QString& dir);
    bool isBusy() const { return pending_ > 0; }

signals:
    void modelLoaded(std::shared_ptr<const qs::SpeechModel> model, const QString& path);
    void audioScanned(std::shared_ptr<const qs::AudioCorpus> corpus, const QString& dir);
    void failed(const QString& message);
    void busyChanged(bool busy);

private:
    void begin();
    void end();

    QThreadPool* pool_;
    int pending_ = 0;
};

}  // namespace qs::gui
