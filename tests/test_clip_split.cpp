// labels: unit
// links: qs_audio
// Tune/test splits: the two parts never overlap (windows of one recording included), the fraction
// split is exact per speaker, deterministic and stable when files are added, lists are read with
// clear messages for malformed lines, and the record reports carry round-trips.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/audio/audio_corpus.h"
#include "core/audio/clip_split.h"
#include "core/base/errors.h"
#include "tests/support/audio_files.h"

using namespace qs;

namespace {

struct Tree {
    QTemporaryDir dir;
    std::string root() const { return dir.path().toStdString(); }
    std::string at(const std::string& rel) const { return root() + "/" + rel; }
    void wav(const std::string& rel, double seconds = 0.2) {
        std::filesystem::create_directories(std::filesystem::path(at(rel)).parent_path());
        test::writeSine(at(rel), test::AudioFormat::Wav16, 16000, 1, seconds, 440.0, 0.5);
    }
    void text(const std::string& rel, const std::string& content) { std::ofstream(at(rel)) << content; }
};

// speaker -> number of files: s0 has 10, s1 7, s2 1, s3 2; plus two loose files in the root.
void fill(Tree& t) {
    const int counts[] = {10, 7, 1, 2};
    for (int s = 0; s < 4; ++s)
        for (int i = 0; i < counts[s]; ++i) t.wav("s" + std::to_string(s) + "/utt" + std::to_string(i) + ".wav");
    t.wav("loose_a.wav");
    t.wav("loose_b.wav");
}

std::map<std::string, ClipPart> parts(const ClipSplit& split) {
    std::map<std::string, ClipPart> out;
    for (const SplitFile& f : split.record().files) out[f.path] = f.part;
    return out;
}

QString expectInputError(const std::function<void()>& call) {
    try {
        call();
    } catch (const InputError& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no InputError>");
}

}  // namespace

class TestClipSplit : public QObject {
    Q_OBJECT

private slots:
    void hashIsFnv1a();
    void fractionSplitIsExactAndDisjoint_data();
    void fractionSplitIsExactAndDisjoint();
    void windowsOfOneFileStayTogether();
    void fractionSplitIsStable();
    void listSplit();
    void malformedLists_data();
    void malformedLists();
    void noSplitServesBoth();
    void recordRoundTrip();
};

void TestClipSplit::hashIsFnv1a() {
    // Published FNV-1a 64 test vectors.
    QCOMPARE(fnv1a64(""), std::uint64_t(0xcbf29ce484222325ull));
    QCOMPARE(fnv1a64("a"), std::uint64_t(0xaf63dc4c8601ec8cull));
    QCOMPARE(fnv1a64("foobar"), std::uint64_t(0x85944171f73967e8ull));
}

void TestClipSplit::fractionSplitIsExactAndDisjoint_data() {
    QTest::addColumn<double>("fraction");
    QTest::addColumn<QList<int>>("testFiles");  // per speaker s0..s3 and the root speaker
    QTest::newRow("0.5") << 0.5 << QList<int>{5, 4, 1, 1, 1};   // 3.5 rounds to 4; 1 file: round(0.5) = 1
    QTest::newRow("0.3") << 0.3 << QList<int>{3, 2, 0, 1, 1};   // at least one of each part when n >= 2
    QTest::newRow("0.9") << 0.9 << QList<int>{9, 6, 1, 1, 1};
    QTest::newRow("0") << 0.0 << QList<int>{0, 0, 0, 0, 0};
    QTest::newRow("1") << 1.0 << QList<int>{10, 7, 1, 2, 2};
}

void TestClipSplit::fractionSplitIsExactAndDisjoint() {
    QFETCH(double, fraction);
    QFETCH(QList<int>, testFiles);
    Tree t;
    fill(t);
    const AudioCorpus corpus = AudioCorpus::scan(t.root());
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec::fraction(fraction));
    const std::string rootSpeaker = std::filesystem::path(t.root()).filename().string();
    const std::vector<std::string> speakers = {"s0", "s1", "s2", "s3", rootSpeaker};
    for (std::size_t s = 0; s < speakers.size(); ++s) {
        QCOMPARE(split.fileCount(ClipPart::Test, speakers[s]), testFiles[int(s)]);
        int files = 0;
        for (const Speaker& sp : corpus.speakers())
            if (sp.name == speakers[s]) files = sp.files;
        QCOMPARE(split.fileCount(ClipPart::Tune, speakers[s]) + testFiles[int(s)], files);
    }
    QCOMPARE(split.fileCount(ClipPart::Unused), 0);

    // The two corpora never share a clip, and together they are the whole corpus.
    std::set<std::string> tune, test;
    auto clipsOf = [](const AudioCorpus& part, std::set<std::string>& into) {
        for (const Speaker& s : part.speakers())
            for (const Clip& c : s.clips) into.insert(c.path + "#" + std::to_string(c.startFrame));
    };
    if (split.fileCount(ClipPart::Tune) > 0) clipsOf(split.tuneCorpus(corpus), tune);
    if (split.fileCount(ClipPart::Test) > 0) clipsOf(split.testCorpus(corpus), test);
    for (const std::string& c : tune) QVERIFY2(!test.count(c), c.c_str());
    std::size_t all = 0;
    for (const Speaker& s : corpus.speakers()) all += s.clips.size();
    QCOMPARE(tune.size() + test.size(), all);
    // Each clip's purpose agrees with its part.
    for (const Speaker& s : corpus.speakers())
        for (const Clip& c : s.clips) QVERIFY(split.isTune(c) != split.isTest(c));
}

void TestClipSplit::windowsOfOneFileStayTogether() {
    Tree t;
    for (int i = 0; i < 6; ++i) t.wav("long/rec" + std::to_string(i) + ".wav", 2.5);
    CorpusOptions o;
    o.windowSeconds = 1.0;  // three windows per file
    const AudioCorpus corpus = AudioCorpus::scan(t.root(), o);
    QCOMPARE(corpus.speakers()[0].clips.size(), std::size_t(18));
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec::fraction(0.5));
    QCOMPARE(split.testCorpus(corpus).speakers()[0].clips.size(), std::size_t(9));
    std::map<std::string, std::set<ClipPart>> partsOfFile;
    for (const Clip& c : corpus.speakers()[0].clips) partsOfFile[c.path].insert(split.partOf(c));
    for (const auto& [file, p] : partsOfFile) QCOMPARE(p.size(), std::size_t(1));
}

void TestClipSplit::fractionSplitIsStable() {
    Tree t;
    for (int i = 0; i < 20; ++i) t.wav("spk/utt" + std::to_string(i) + ".wav");
    const ClipSplit before = ClipSplit::make(AudioCorpus::scan(t.root()), SplitSpec::fraction(0.5));
    // The same files again: the same split.
    QCOMPARE(parts(ClipSplit::make(AudioCorpus::scan(t.root()), SplitSpec::fraction(0.5))), parts(before));
    // One file more: at most one earlier file changes part.
    t.wav("spk/utt_new.wav");
    const auto after = parts(ClipSplit::make(AudioCorpus::scan(t.root()), SplitSpec::fraction(0.5)));
    int moved = 0;
    for (const auto& [key, part] : parts(before)) moved += after.at(key) != part;
    QVERIFY2(moved <= 1, qPrintable(QString::number(moved)));
    // The hash reads the path within the speaker folder: the same names under another speaker
    // folder split alike.
    Tree u;
    for (int i = 0; i < 20; ++i) u.wav("other/utt" + std::to_string(i) + ".wav");
    const auto renamed = parts(ClipSplit::make(AudioCorpus::scan(u.root()), SplitSpec::fraction(0.5)));
    for (const auto& [key, part] : parts(before)) QCOMPARE(renamed.at("other/" + key.substr(4)), part);
}

void TestClipSplit::listSplit() {
    Tree t;
    fill(t);
    t.text("split.csv",
           "path,part\n"
           "s0/utt0.wav,test\n"
           "\"s0/utt1.wav\",tune\n"
           "./s1/utt3.wav , TEST\r\n"
           "# a comment\n"
           "\n"
           "gone/missing.wav,tune\n"
           "loose_a.wav,tune\n");
    const AudioCorpus corpus = AudioCorpus::scan(t.root());
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec::list(t.at("split.csv")));
    const auto p = parts(split);
    QCOMPARE(p.at("s0/utt0.wav"), ClipPart::Test);
    QCOMPARE(p.at("s0/utt1.wav"), ClipPart::Tune);
    QCOMPARE(p.at("s1/utt3.wav"), ClipPart::Test);
    QCOMPARE(p.at("loose_a.wav"), ClipPart::Tune);
    QCOMPARE(p.at("s0/utt2.wav"), ClipPart::Unused);  // not listed
    QCOMPARE(split.record().missing, 1);
    QCOMPARE(split.record().firstMissing, std::string("gone/missing.wav"));
    QCOMPARE(split.fileCount(ClipPart::Test), 2);
    QCOMPARE(split.fileCount(ClipPart::Tune), 2);
    // Unlisted files serve nothing.
    const AudioCorpus tune = split.tuneCorpus(corpus);
    std::size_t clips = 0;
    for (const Speaker& s : tune.speakers()) clips += s.clips.size();
    QCOMPARE(clips, std::size_t(2));
}

void TestClipSplit::malformedLists_data() {
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("message");
    QTest::newRow("no header") << "a.wav,test\n" << "split.csv line 1: expected the header 'path,part', found 'a.wav,test'";
    QTest::newRow("bad part") << "path,part\na.wav,test\nb.wav,dev\n" << "split.csv line 3: part 'dev' is not tune or test";
    QTest::newRow("three fields") << "path,part\na.wav,test,extra\n" << "split.csv line 2: expected 2 fields (path,part), found 3";
    QTest::newRow("twice") << "path,part\na.wav,test\n\n./a.wav,tune\n" << "split.csv line 4: a.wav is listed twice (first on line 2)";
    QTest::newRow("open quote") << "path,part\n\"a.wav,test\n" << "split.csv line 2: a quoted field has no closing quote";
    QTest::newRow("empty path") << "path,part\n,test\n" << "split.csv line 2: the path is empty";
    QTest::newRow("empty file") << "" << "split.csv is empty: expected the header 'path,part' and one line per file";
}

void TestClipSplit::malformedLists() {
    QFETCH(QString, content);
    QFETCH(QString, message);
    QCOMPARE(expectInputError([&] { parseSplitList(content.toStdString(), "split.csv"); }), message);
}

void TestClipSplit::noSplitServesBoth() {
    Tree t;
    fill(t);
    const AudioCorpus corpus = AudioCorpus::scan(t.root());
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec{});
    QVERIFY(!split.active());
    for (const Speaker& s : corpus.speakers())
        for (const Clip& c : s.clips) QVERIFY(split.isTune(c) && split.isTest(c));
    QCOMPARE(split.tuneCorpus(corpus).speakers().size(), corpus.speakers().size());
    QCOMPARE(QString::fromStdString(split.record().description), QStringLiteral("no split"));
    QCOMPARE(expectInputError([] { SplitSpec::fraction(1.5); }),
             QStringLiteral("the test fraction must be between 0 and 1, not 1.5"));
    // A split that leaves no test clip says so.
    const ClipSplit none = ClipSplit::make(corpus, SplitSpec::fraction(0.0));
    QVERIFY(expectInputError([&] { none.testCorpus(corpus); }).contains("leaves no test clip"));
}

void TestClipSplit::recordRoundTrip() {
    Tree t;
    fill(t);
    const AudioCorpus corpus = AudioCorpus::scan(t.root());
    const ClipSplit split = ClipSplit::make(corpus, SplitSpec::fraction(0.4));
    const nlohmann::json j = toJson(split.record());
    QCOMPARE(j["method"].get<std::string>(), std::string("fraction"));
    QCOMPARE(j["test_fraction"].get<double>(), 0.4);
    QCOMPARE(j["test_files"].get<int>() + j["tune_files"].get<int>(), 22);
    const SplitRecord back = splitRecordFromJson(j);
    // Applied to the folder scanned again, the record gives every clip the same part.
    const ClipSplit again = ClipSplit::fromRecord(AudioCorpus::scan(t.root()), back);
    for (const Speaker& s : corpus.speakers())
        for (const Clip& c : s.clips) QCOMPARE(again.partOf(c), split.partOf(c));
    nlohmann::json bad = j;
    bad["files"][0]["part"] = "dev";
    QVERIFY(expectInputError([&] { splitRecordFromJson(bad); }).contains("'dev'"));
}

QTEST_APPLESS_MAIN(TestClipSplit)
#include "test_clip_split.moc"
