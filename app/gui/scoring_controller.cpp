// The scoring job: corpus, split and profiles, the comparison on the pool, progress and cancel.
#include "app/gui/scoring_controller.h"

#include <QFileInfo>

#include "app/gui/background_job.h"
#include "app/gui/comparison_audio.h"
#include "core/engine/engine.h"

namespace qs::gui {

ScoringController::ScoringController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    connect(&progress_, &ProgressTicker::progress, this, &ScoringController::progress);
}

ScoringController::~ScoringController() { cancel(); }

bool ScoringController::start(const ScoringRequest& request) {
    QString problem;
    if (running_) problem = tr("a comparison is already running");
    else if (!request.model) problem = tr("open the model before comparing scoring rules");
    else if (request.audioFolder.isEmpty()) problem = tr("add an audio folder with the users' clips before comparing");
    else if (!(request.targetMb > 0)) problem = tr("analyse the audio and set a budget in the budget panel first");
    if (!problem.isEmpty()) {
        emit failed(problem);
        return false;
    }
    const std::shared_ptr<ProgressSlot> slot = progress_.start();
    running_ = true;

    const ScoringRequest req = request;
    auto work = [slot, req]() {
        const ProgressFn progress = ProgressSlot::callback(slot);
        const AudioCorpus corpus = comparisonAudio(*req.model, req.audioFolder, req.corpus, req.speakers);
        const ClipSplit split = ClipSplit::make(corpus, req.split.active() ? req.split : SplitSpec::fraction(0.5));
        std::vector<Profile> profiles = req.profiles;
        if (profiles.empty()) {
            Profile every{kEverySpeakerProfile, {}};
            for (const Speaker& s : corpus.speakers()) every.speakers.push_back(s.name);
            profiles.push_back(every);
        }
        ScoringOptions options = req.options;
        options.targetsMb = {req.targetMb};
        if (slot->stop.load()) throw Cancelled();
        return std::make_shared<const ScoringResult>(engine().compareScoring(*req.model, corpus, split, profiles, options, progress));
    };
    runInBackground<std::shared_ptr<const ScoringResult>>(
        pool_, this, std::move(work), [this](const JobOutcome<std::shared_ptr<const ScoringResult>>& out) {
            progress_.finish();
            running_ = false;
            if (out.value) emit finished(*out.value);
            else if (out.cancelled) emit cancelled();
            else emit failed(out.error.isEmpty() ? tr("the comparison stopped without a result") : out.error);
        });
    emit started(tr("Comparing scoring rules on %1").arg(QFileInfo(request.audioFolder).fileName()));
    return true;
}

void ScoringController::cancel() {
    if (running_) progress_.cancel();
}

}  // namespace qs::gui
