// Runs the scoring comparison (engine().compareScoring) off the GUI thread on the window's pool, as
// the personalization controller runs the matrix. The worker writes its progress into a shared slot that a timer here reads, so the
// window gets progress with an estimate of the time left; cancel() sets the flag core's progress
// callback reads, and the run stops at its next clip with nothing changed.
#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "app/gui/progress_ticker.h"
#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/model/speech_model.h"
#include "core/scoring/scoring.h"

class QThreadPool;

namespace qs::gui {

struct ScoringRequest {
    std::shared_ptr<const SpeechModel> model;
    QString audioFolder;
    std::shared_ptr<const AudioCorpus> corpus;  // the folder as loaded; rescanned when its rate differs
    SplitSpec split;                            // inactive: half of each speaker's files for test
    std::vector<Profile> profiles;              // empty: every speaker pooled, one profile
    std::vector<std::string> speakers;          // the speakers to use (empty: all)
    double targetMb = 0;                        // the budget panel's budget
    ScoringOptions options;                     // targets are filled from targetMb
};

class ScoringController : public QObject {
    Q_OBJECT
public:
    ScoringController(QThreadPool* pool, QObject* parent = nullptr);
    ~ScoringController() override;  // cancels; the window's pool waits for the job

    bool isRunning() const { return running_; }
    // False (with failed emitted) when a run is going or the request is incomplete.
    bool start(const ScoringRequest& request);
    void cancel();

signals:
    void started(const QString& what);
    void progress(double fraction, const QString& detail, double secondsLeft);
    void finished(std::shared_ptr<const qs::ScoringResult> result);
    void failed(const QString& message);
    void cancelled();

private:
    QThreadPool* pool_;
    ProgressTicker progress_;
    bool running_ = false;
};

}  // namespace qs::gui
