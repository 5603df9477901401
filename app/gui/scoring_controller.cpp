// The scoring job: corpus, split and profiles, the comparison on the pool, progress and cancel.
#include "app/gui/scoring_controller.h"

#include <QFileInfo>
#include <atomic>
#include <mutex>

#include "app/gui/background_job.h"
#include "core/engine/engine.h"

namespace qs::gui {

struct ScoringController::Shared {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    double fraction = 0.0;
    QString detail;
};

ScoringController::ScoringController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    ticker_.setInterval(250);
    connect(&ticker_, &QTimer::timeout, this, &ScoringController::poll);
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
    auto shared = std::make_shared<Shared>();
    shared_ = shared;
    running_ = true;
    clock_.start();
    ticker_.start();

    const ScoringRequest req = request;
    auto work = [shared, req]() {
        auto progress = [shared](const Progress& p) {
            if (shared->stop.load()) return false;
            std::lock_guard<std::mutex> lock(shared->mutex);
            shared->fraction = p.fraction();
            shared->detail = QString::fromStdString(p.message);
            return true;
        };
        const CorpusOptions wanted = corpusOptionsFor(req.model->info());
        AudioCorpus corpus = req.corpus && req.corpus->options().targetRate == wanted.targetRate &&
                                     req.corpus->options().normalize == wanted.normalize
                                 ? *req.corpus
                                 : AudioCorpus::scan(req.audioFolder.toStdString(), wanted);
        if (!req.speakers.empty()) corpus.selectSpeakers(req.speakers);
        const ClipSplit split = ClipSplit::make(corpus, req.split.active() ? req.split : SplitSpec::fraction(0.5));
        std::vector<Profile> profiles = req.profiles;
        if (profiles.empty()) {
            Profile every{kEverySpeakerProfile, {}};
            for (const Speaker& s : corpus.speakers()) every.speakers.push_back(s.name);
            profiles.push_back(every);
        }
        ScoringOptions options = req.options;
        options.targetsMb = {req.targetMb};
        if (shared->stop.load()) throw Cancelled();
        return std::make_shared<const ScoringResult>(engine().compareScoring(*req.model, corpus, split, profiles, options, progress));
    };
    runInBackground<std::shared_ptr<const ScoringResult>>(
        pool_, this, std::move(work), [this](const JobOutcome<std::shared_ptr<const ScoringResult>>& out) {
            ticker_.stop();
            running_ = false;
            if (out.value) emit finished(*out.value);
            else if (out.cancelled) emit cancelled();
            else emit failed(out.error.isEmpty() ? tr("the comparison stopped without a result") : out.error);
        });
    emit started(tr("Comparing scoring rules on %1").arg(QFileInfo(request.audioFolder).fileName()));
    return true;
}

void ScoringController::cancel() {
    if (running_ && shared_) shared_->stop.store(true);
}

void ScoringController::poll() {
    if (!running_ || !shared_) return;
    double fraction = 0.0;
    QString detail;
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        fraction = shared_->fraction;
        detail = shared_->detail;
    }
    const double elapsed = clock_.elapsed() / 1000.0;
    const double left = fraction > 0.02 ? elapsed * (1.0 - fraction) / fraction : -1.0;
    emit progress(fraction, detail, left);
}

}  // namespace qs::gui
