// The audio panel: folders, speakers with clip counts and check boxes, drag and drop.
#include "widgets/audio_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QComboBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/icons.h"
#include "widgets/plot_style.h"

namespace qs::gui {

namespace {
constexpr int PathRole = Qt::UserRole + 1;
constexpr int SkippedFolderRole = Qt::UserRole + 2;
constexpr int kStatusColumn = 4;
constexpr int kSplitColumn = 5;
const double kFractions[] = {0.2, 0.3, 0.5};

bool samePath(const QString& a, const QString& b) {
    if (a == b) return true;
    const QString ca = QFileInfo(a).canonicalFilePath(), cb = QFileInfo(b).canonicalFilePath();
    return !ca.isEmpty() && ca == cb;
}
}  // namespace

AudioPanel::AudioPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("audioPanel"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);

    auto* top = new QHBoxLayout;
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setStyleSheet(QStringLiteral("color: #555;"));
    auto* add = new QPushButton(icon(IconKind::AddAudio), tr("Add folder…"), this);
    add->setToolTip(tr("Add an audio folder: one subfolder per speaker (Ctrl+Shift+O); you can also drop folders"));
    auto* remove = new QPushButton(tr("Remove"), this);
    remove->setToolTip(tr("Remove the selected folder from the list"));
    top->addWidget(add);
    top->addWidget(remove);
    top->addStretch(1);
    layout->addLayout(top);
    layout->addWidget(summary_);

    // The tune/test split and the speaker groups.
    auto* splitRow = new QHBoxLayout;
    split_ = new QComboBox(this);
    split_->setObjectName(QStringLiteral("splitChoice"));
    split_->addItem(tr("none: every clip for everything"), 0.0);
    for (double f : kFractions) split_->addItem(tr("%1% of each speaker's files").arg(int(f * 100)), f);
    split_->addItem(tr("from a list…"), -1.0);
    split_->setToolTip(tr("Test clips are held out: analysis, allocation and calibration see only the tune clips, "
                          "evaluation only the test clips"));
    auto* groups = new QPushButton(tr("Groups…"), this);
    groups->setObjectName(QStringLiteral("loadGroups"));
    groups->setToolTip(tr("Load speaker metadata (LibriSpeech SPEAKERS.TXT, a Common Voice .tsv or a speakers.csv) "
                          "to group speakers into profiles"));
    groupBy_ = new QComboBox(this);
    groupBy_->setObjectName(QStringLiteral("groupBy"));
    groupBy_->setEnabled(false);
    groupBy_->setToolTip(tr("The attribute that groups the speakers"));
    splitRow->addWidget(new QLabel(tr("Test clips"), this));
    splitRow->addWidget(split_, 1);
    splitRow->addWidget(groups);
    splitRow->addWidget(groupBy_);
    layout->addLayout(splitRow);
    splitSummary_ = new QLabel(this);
    splitSummary_->setObjectName(QStringLiteral("splitSummary"));
    groupsSummary_ = new QLabel(this);
    groupsSummary_->setObjectName(QStringLiteral("groupsSummary"));
    for (QLabel* l : {splitSummary_, groupsSummary_}) {
        l->setWordWrap(true);
        l->setStyleSheet(QStringLiteral("color: #555;"));
        l->setVisible(false);
        layout->addWidget(l);
    }
    connect(split_, &QComboBox::activated, this, [this](int index) {
        const double f = split_->itemData(index).toDouble();
        if (f < 0) emit splitListRequested();
        else emit splitChosen(f);
    });
    connect(groups, &QPushButton::clicked, this, &AudioPanel::groupsRequested);
    connect(groupBy_, &QComboBox::activated, this, [this](int) { emit groupByChosen(groupBy_->currentText()); });

    auto* split = new QSplitter(Qt::Vertical, this);
    tree_ = new QTreeWidget(split);
    tree_->setObjectName(QStringLiteral("speakerTree"));
    tree_->setColumnCount(6);
    tree_->setHeaderLabels({tr("Speaker"), tr("Clips"), tr("Files"), tr("Duration"), tr("Analysis"), tr("Tune / test")});
    tree_->headerItem()->setToolTip(kSplitColumn, tr("Files for analysis and calibration / files held out for "
                                                     "evaluation, under the chosen split"));
    tree_->headerItem()->setToolTip(kStatusColumn, tr("Each speaker's analysis: queued, clips done while it runs, "
                                                      "analysed once its results are in"));
    tree_->setRootIsDecorated(true);
    tree_->setUniformRowHeights(true);
    tree_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int c = 1; c < 6; ++c) tree_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    tree_->header()->setStretchLastSection(false);

    auto* skippedBox = new QWidget(split);
    auto* sl = new QVBoxLayout(skippedBox);
    sl->setContentsMargins(0, 0, 0, 0);
    sl->setSpacing(2);
    skippedTitle_ = new QLabel(skippedBox);
    skipped_ = new QTreeWidget(skippedBox);
    skipped_->setObjectName(QStringLiteral("skippedFiles"));
    skipped_->setColumnCount(2);
    skipped_->setHeaderLabels({tr("File"), tr("Reason")});
    skipped_->setRootIsDecorated(false);
    skipped_->setWordWrap(false);
    skipped_->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    skipped_->header()->resizeSection(0, 160);
    sl->addWidget(skippedTitle_);
    sl->addWidget(skipped_, 1);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(add, &QPushButton::clicked, this, &AudioPanel::addRequested);
    connect(remove, &QPushButton::clicked, this, [this] {
        QTreeWidgetItem* item = tree_->currentItem();
        while (item && item->parent()) item = item->parent();
        if (item) emit removeRequested(item->data(0, PathRole).toString());
    });
    connect(tree_, &QTreeWidget::itemChanged, this, &AudioPanel::onItemChanged);
    updateSummary();
}

QTreeWidgetItem* AudioPanel::folderItem(const QString& path) const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->data(0, PathRole).toString() == path) return tree_->topLevelItem(i);
    return nullptr;
}

void AudioPanel::addFolder(const QString& path, const AudioCorpus& corpus) {
    removeFolder(path);
    updating_ = true;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) tree_->topLevelItem(i)->setCheckState(0, Qt::Unchecked);
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        for (int j = 0; j < tree_->topLevelItem(i)->childCount(); ++j)
            tree_->topLevelItem(i)->child(j)->setCheckState(0, Qt::Unchecked);

    auto* folder = new QTreeWidgetItem(tree_);
    folder->setText(0, QFileInfo(path).fileName().isEmpty() ? path : QFileInfo(path).fileName());
    folder->setToolTip(0, QDir::toNativeSeparators(path));
    folder->setData(0, PathRole, path);
    folder->setFlags(folder->flags() | Qt::ItemIsUserCheckable | Qt::ItemIsAutoTristate);
    int clips = 0, files = 0;
    double seconds = 0;
    for (const Speaker& s : corpus.speakers()) {
        auto* item = new QTreeWidgetItem(folder);
        item->setText(0, QString::fromStdString(s.name));
        item->setText(1, QString::number(s.clips.size()));
        item->setText(2, QString::number(s.files));
        item->setText(3, formatSeconds(s.seconds));
        for (int c = 1; c < 4; ++c) item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, Qt::Checked);
        clips += int(s.clips.size());
        files += s.files;
        seconds += s.seconds;
    }
    folder->setText(1, QString::number(clips));
    folder->setText(2, QString::number(files));
    folder->setText(3, formatSeconds(seconds));
    for (int c = 1; c < 4; ++c) folder->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
    folder->setExpanded(true);

    for (const SkippedFile& f : corpus.skipped()) {
        auto* item = new QTreeWidgetItem(skipped_);
        const QString file = QString::fromStdString(f.path);
        item->setText(0, QDir(path).relativeFilePath(file));
        item->setText(1, QString::fromStdString(f.reason));
        item->setToolTip(0, file);
        item->setToolTip(1, QString::fromStdString(f.reason));
        item->setData(0, SkippedFolderRole, path);
    }
    updating_ = false;
    updateSummary();
    emit selectionChanged();
}

void AudioPanel::removeFolder(const QString& path) {
    QTreeWidgetItem* item = folderItem(path);
    if (!item) return;
    delete item;
    for (int i = skipped_->topLevelItemCount() - 1; i >= 0; --i)
        if (skipped_->topLevelItem(i)->data(0, SkippedFolderRole).toString() == path) delete skipped_->takeTopLevelItem(i);
    updateSummary();
    emit selectionChanged();
}

void AudioPanel::clear() {
    tree_->clear();
    skipped_->clear();
    updateSummary();
    emit selectionChanged();
}

QStringList AudioPanel::folders() const {
    QStringList out;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) out << tree_->topLevelItem(i)->data(0, PathRole).toString();
    return out;
}

QString AudioPanel::activeFolder() const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->checkState(0) != Qt::Unchecked) return tree_->topLevelItem(i)->data(0, PathRole).toString();
    return {};
}

QStringList AudioPanel::checkedSpeakers() const {
    QTreeWidgetItem* folder = folderItem(activeFolder());
    QStringList out;
    if (!folder) return out;
    for (int j = 0; j < folder->childCount(); ++j)
        if (folder->child(j)->checkState(0) == Qt::Checked) out << folder->child(j)->text(0);
    return out;
}

void AudioPanel::setCheckedSpeakers(const QString& folderPath, const QStringList& speakers) {
    updating_ = true;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* folder = tree_->topLevelItem(i);
        const bool active = folder->data(0, PathRole).toString() == folderPath;
        for (int j = 0; j < folder->childCount(); ++j)
            folder->child(j)->setCheckState(0, active && speakers.contains(folder->child(j)->text(0)) ? Qt::Checked
                                                                                                       : Qt::Unchecked);
    }
    updating_ = false;
    updateSummary();
    emit selectionChanged();
}

QTreeWidgetItem* AudioPanel::speakerItem(const QString& folderPath, const QString& speaker) const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* folder = tree_->topLevelItem(i);
        if (!samePath(folder->data(0, PathRole).toString(), folderPath)) continue;
        for (int j = 0; j < folder->childCount(); ++j)
            if (folder->child(j)->text(0) == speaker) return folder->child(j);
    }
    return nullptr;
}

void AudioPanel::setSpeakerStatus(const QString& folder, const QString& speaker, SpeakerState state, int clipsDone,
                                  int clipsTotal) {
    QTreeWidgetItem* item = speakerItem(folder, speaker);
    if (!item) return;
    QString text, tip;
    QColor colour("#606060");
    switch (state) {
    case SpeakerState::None:
        break;
    case SpeakerState::Queued:
        text = tr("queued");
        tip = tr("Waiting for the speakers before it");
        colour = QColor("#8a8a8a");
        break;
    case SpeakerState::Running:
        text = tr("%1 / %2 clips").arg(clipsDone).arg(clipsTotal);
        tip = tr("Being analysed: %1 of %2 clips done").arg(clipsDone).arg(clipsTotal);
        colour = QColor("#2f6fb0");
        break;
    case SpeakerState::Analysed:
        text = QStringLiteral("\u2713 ") + tr("analysed");
        tip = tr("Results are in: %n clip(s) analysed", nullptr, clipsDone);
        colour = QColor("#2e7d32");
        break;
    }
    const bool wasUpdating = updating_;
    updating_ = true;  // not a check-state change
    item->setText(kStatusColumn, text);
    item->setToolTip(kStatusColumn, tip);
    item->setForeground(kStatusColumn, colour);
    updating_ = wasUpdating;
}

void AudioPanel::clearSpeakerStatus() {
    const bool wasUpdating = updating_;
    updating_ = true;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        for (int j = 0; j < tree_->topLevelItem(i)->childCount(); ++j) {
            tree_->topLevelItem(i)->child(j)->setText(kStatusColumn, QString());
            tree_->topLevelItem(i)->child(j)->setToolTip(kStatusColumn, QString());
        }
    updating_ = wasUpdating;
}

QString AudioPanel::speakerStatusText(const QString& folder, const QString& speaker) const {
    const QTreeWidgetItem* item = speakerItem(folder, speaker);
    return item ? item->text(kStatusColumn) : QString();
}

void AudioPanel::setSplitChoice(double testFraction, const QString& listPath) {
    QSignalBlocker block(split_);
    if (!listPath.isEmpty()) {
        split_->setItemText(split_->count() - 1, tr("list %1").arg(QFileInfo(listPath).fileName()));
        split_->setCurrentIndex(split_->count() - 1);
        return;
    }
    split_->setItemText(split_->count() - 1, tr("from a list…"));
    int index = split_->findData(testFraction);
    if (index < 0 && testFraction > 0) {  // a fraction the menu does not offer: add it
        split_->insertItem(split_->count() - 1, tr("%1% of each speaker's files").arg(testFraction * 100, 0, 'g', 3), testFraction);
        index = split_->count() - 2;
    }
    split_->setCurrentIndex(std::max(0, index));
}

void AudioPanel::setSplitCounts(const QString& folderPath, const QMap<QString, QPair<int, int>>& tuneTest) {
    const bool wasUpdating = updating_;
    updating_ = true;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* folder = tree_->topLevelItem(i);
        if (!samePath(folder->data(0, PathRole).toString(), folderPath)) continue;
        int tune = 0, test = 0;
        for (int j = 0; j < folder->childCount(); ++j) {
            QTreeWidgetItem* speaker = folder->child(j);
            auto it = tuneTest.find(speaker->text(0));
            if (it == tuneTest.end()) {
                speaker->setText(kSplitColumn, QString());
                continue;
            }
            speaker->setText(kSplitColumn, QStringLiteral("%1 / %2").arg(it->first).arg(it->second));
            speaker->setTextAlignment(kSplitColumn, Qt::AlignRight | Qt::AlignVCenter);
            tune += it->first, test += it->second;
        }
        folder->setText(kSplitColumn, tuneTest.isEmpty() ? QString() : QStringLiteral("%1 / %2").arg(tune).arg(test));
        folder->setTextAlignment(kSplitColumn, Qt::AlignRight | Qt::AlignVCenter);
    }
    updating_ = wasUpdating;
}

QString AudioPanel::splitText(const QString& folder, const QString& speaker) const {
    const QTreeWidgetItem* item = speakerItem(folder, speaker);
    return item ? item->text(kSplitColumn) : QString();
}

void AudioPanel::setSplitSummary(const QString& text) {
    splitSummary_->setText(text);
    splitSummary_->setVisible(!text.isEmpty());
}

void AudioPanel::setGroups(const QStringList& attributes, const QString& current, const QString& summary) {
    QSignalBlocker block(groupBy_);
    groupBy_->clear();
    groupBy_->addItems(attributes);
    groupBy_->setCurrentIndex(std::max<int>(0, int(attributes.indexOf(current))));
    groupBy_->setEnabled(!attributes.isEmpty());
    groupsSummary_->setText(summary);
    groupsSummary_->setVisible(!summary.isEmpty());
}

void AudioPanel::onItemChanged(QTreeWidgetItem* item, int column) {
    if (updating_ || column != 0) return;
    QTreeWidgetItem* folder = item->parent() ? item->parent() : item;
    if (item->checkState(0) != Qt::Unchecked) {
        // One folder per analysis: checking here unchecks every other folder.
        updating_ = true;
        for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
            QTreeWidgetItem* other = tree_->topLevelItem(i);
            if (other == folder) continue;
            for (int j = 0; j < other->childCount(); ++j) other->child(j)->setCheckState(0, Qt::Unchecked);
        }
        updating_ = false;
    }
    updateSummary();
    emit selectionChanged();
}

void AudioPanel::updateSummary() {
    const int folders = tree_->topLevelItemCount();
    const QStringList checked = checkedSpeakers();
    if (folders == 0) {
        summary_->setText(tr("No audio yet. Add a folder with one subfolder per speaker."));
    } else if (checked.isEmpty()) {
        summary_->setText(tr("%n folder(s); no speaker checked for analysis", nullptr, folders));
    } else {
        summary_->setText(tr("Analysis covers %n speaker(s) of %1", nullptr, int(checked.size()))
                              .arg(QFileInfo(activeFolder()).fileName()));
    }
    const int skipped = skipped_->topLevelItemCount();
    skippedTitle_->setText(skipped == 0 ? tr("No skipped files") : tr("Skipped files (%1)").arg(skipped));
}

}  // namespace qs::gui
