// Sensitivity bars: one score per layer in network order, one bar series per speaker, each bar
// filled with the colour of the bits that speaker's allocation gives the layer at the current budget.
#pragma once

#include <QStringList>
#include <memory>
#include <string>
#include <vector>

#include "widgets/figure_view.h"

class QCheckBox;
class QCPItemRect;
class QToolButton;
class QMenu;

namespace qs::gui {

class BitsLegend;

struct SpeakerSeries {
    QString speaker;             // "all" or a speaker name
    std::vector<double> scores;  // per layer, network order
    std::vector<int> bits;       // per layer at the current budget (empty: not allocated)
};

class SensitivityView : public FigureView {
    Q_OBJECT
public:
    explicit SensitivityView(QWidget* parent = nullptr);
    ~SensitivityView() override;

    void setLayers(const std::vector<std::string>& names);
    // Every available speaker's series; the view shows those checked in its speaker menu.
    void setSeries(const std::vector<SpeakerSeries>& series, const QString& metricLabel);
    void setSelectedLayer(int layer);

    QStringList shownSpeakers() const { return shown_; }
    void setShownSpeakers(const QStringList& speakers);
    bool logScale() const;
    void setLogScale(bool on);

    // For tests: the bits the bars of a shown speaker are coloured by.
    std::vector<int> shownBits(const QString& speaker) const;

    QString exportCaption() const override;

signals:
    void shownSpeakersChanged(const QStringList& speakers);

private:
    void rebuild();
    void rebuildMenu();

    std::vector<std::string> names_;
    std::vector<SpeakerSeries> series_;
    QString metricLabel_;
    QStringList shown_;
    bool userChoseSpeakers_ = false;
    int selected_ = -1;
    QToolButton* speakersButton_ = nullptr;
    QMenu* speakersMenu_ = nullptr;
    QCheckBox* log_ = nullptr;
    QCPItemRect* band_ = nullptr;
    std::unique_ptr<BitsLegend> legend_;
};

}  // namespace qs::gui
