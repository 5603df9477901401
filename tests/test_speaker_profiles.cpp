// labels: unit
// links: qs_audio
// Speaker metadata readers (LibriSpeech SPEAKERS.TXT, Common Voice TSV, speakers.csv), with a clear
// message naming file, line and problem for malformed lines; grouping speakers into profiles.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "core/audio/speaker_profiles.h"
#include "core/base/errors.h"

using namespace qs;

namespace {

// The head of LibriSpeech's own SPEAKERS.TXT, with its comment block and the one name that holds
// a '|' (speaker 60's line in the real file).
const char* kLibriSpeech =
    "; Some speakers have a \"*\" at the end of their names ...\n"
    ";ID  |SEX| SUBSET           |MINUTES| NAME\n"
    "14   | F | train-clean-360  | 25.03 | Kristin LeMoine\n"
    "16   | F | train-clean-360  | 25.11 | Alys AtteWater\n"
    "17   | M | train-clean-360  | 25.04 | Gord Mackenzie\n"
    "60   | M | train-clean-100  | 20.18 | |CBW|Simon\n"
    "\r\n"
    "19   | F | train-clean-100  | 25.19 | Kara Shallenberg\n";

// Common Voice 17's header and rows (one client twice, its gender given only on the second row).
const char* kCommonVoice =
    "client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\taccents\tvariant\tlocale\tsegment\n"
    "aa11\tcommon_voice_en_1.mp3\tx1\tHello there.\t\t2\t0\ttwenties\t\tUnited States English\t\ten\t\n"
    "bb22\tcommon_voice_en_2.mp3\tx2\tGood \"morning\".\t\t2\t0\tthirties\tfemale_feminine\tIndia and South Asia\t\ten\t\n"
    "aa11\tcommon_voice_en_3.mp3\tx3\tAnother one.\t\t3\t1\ttwenties\tmale_masculine\t\t\ten\t\n"
    "cc33\tclips/common_voice_en_4.mp3\tx4\tLast.\t\t2\t0\t\tmale_masculine\tEngland English\t\ten\t\n";

const char* kCsv =
    "speaker,group,sex,accent,condition\n"
    "user1,noisy,F,us,\"noise, 20 dB\"\n"
    "user2,clean,M,gb,clean\n"
    "# a comment line\n"
    "user3,noisy,M,us,noise\n"
    "user4,,F,gb,clean\n";

QString errorOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const InputError& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no InputError>");
}

std::vector<std::string> names(const std::vector<Profile>& ps) {
    std::vector<std::string> out;
    for (const Profile& p : ps) out.push_back(p.name + ":" + [&] {
        std::string m;
        for (const std::string& s : p.speakers) m += (m.empty() ? "" : "+") + s;
        return m;
    }());
    return out;
}

}  // namespace

class TestSpeakerProfiles : public QObject {
    Q_OBJECT

private slots:
    void libriSpeech();
    void commonVoice();
    void speakersCsv();
    void malformed_data();
    void malformed();
    void readsByFormat();
    void grouping();
    void profileNames();
};

void TestSpeakerProfiles::libriSpeech() {
    const SpeakerTable t = parseLibriSpeechSpeakers(kLibriSpeech, "SPEAKERS.TXT");
    QCOMPARE(t.format, std::string("librispeech"));
    QCOMPARE(t.speakers.size(), std::size_t(5));
    QCOMPARE(t.speakers[0].id, std::string("14"));
    QCOMPARE(t.speakers[0].attributes.at("sex"), std::string("F"));
    QCOMPARE(t.speakers[0].attributes.at("subset"), std::string("train-clean-360"));
    QCOMPARE(t.speakers[0].attributes.at("name"), std::string("Kristin LeMoine"));
    QCOMPARE(t.speakers[3].attributes.at("name"), std::string("|CBW|Simon"));
    QCOMPARE(t.speakers[3].line, 6);
    QCOMPARE(names(groupSpeakers(t, "")), (std::vector<std::string>{"F:14+16+19", "M:17+60"}));
    QCOMPARE(names(groupSpeakers(t, "subset")),
             (std::vector<std::string>{"train-clean-100:60+19", "train-clean-360:14+16+17"}));
}

void TestSpeakerProfiles::commonVoice() {
    const SpeakerTable t = parseCommonVoiceTsv(kCommonVoice, "validated.tsv");
    QCOMPARE(t.format, std::string("commonvoice"));
    QCOMPARE(t.defaultAttribute, std::string("gender"));
    QCOMPARE(t.attributes, (std::vector<std::string>{"age", "gender", "accents", "variant", "locale"}));
    QCOMPARE(t.speakers.size(), std::size_t(3));
    // aa11's gender comes from its second row; its accent from the first.
    QCOMPARE(t.speakers[0].attributes.at("gender"), std::string("male_masculine"));
    QCOMPARE(t.speakers[0].attributes.at("accents"), std::string("United States English"));
    QCOMPARE(t.speakers[1].attributes.at("locale"), std::string("en"));
    QCOMPARE(t.clipSpeaker.at("common_voice_en_3.mp3"), std::string("aa11"));
    QCOMPARE(t.clipSpeaker.at("common_voice_en_4.mp3"), std::string("cc33"));
    QCOMPARE(names(groupSpeakers(t, "")), (std::vector<std::string>{"female_feminine:bb22", "male_masculine:aa11+cc33"}));
    QCOMPARE(names(groupSpeakers(t, "ACCENTS")),
             (std::vector<std::string>{"England English:cc33", "India and South Asia:bb22", "United States English:aa11"}));
}

void TestSpeakerProfiles::speakersCsv() {
    const SpeakerTable t = parseSpeakersCsv(kCsv, "speakers.csv");
    QCOMPARE(t.format, std::string("csv"));
    QCOMPARE(t.attributes, (std::vector<std::string>{"group", "sex", "accent", "condition"}));
    QCOMPARE(t.speakers.size(), std::size_t(4));
    QCOMPARE(t.speakers[0].attributes.at("condition"), std::string("noise, 20 dB"));
    QCOMPARE(t.speakers[2].line, 5);
    // user4 has no group: left out of the groups, but grouped by sex.
    QCOMPARE(names(groupSpeakers(t, "")), (std::vector<std::string>{"clean:user2", "noisy:user1+user3"}));
    QCOMPARE(names(groupSpeakers(t, "sex")), (std::vector<std::string>{"F:user1+user4", "M:user2+user3"}));
}

void TestSpeakerProfiles::malformed_data() {
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("message");
    QTest::newRow("libri: too few fields") << "libri" << ";ID|SEX\n14 | F | train-clean-360\n"
                                           << "SPEAKERS.TXT line 2: expected 'ID | SEX | SUBSET | MINUTES | NAME', found 3 fields";
    QTest::newRow("libri: bad sex") << "libri" << "14 | F | a | 1.0 | x\n15 | X | a | 1.0 | y\n"
                                    << "SPEAKERS.TXT line 2: sex 'X' is neither F nor M";
    QTest::newRow("libri: bad minutes") << "libri" << "14 | F | a | long | x\n"
                                        << "SPEAKERS.TXT line 1: minutes 'long' is not a number";
    QTest::newRow("libri: twice") << "libri" << "14 | F | a | 1 | x\n;c\n14 | F | a | 1 | x\n"
                                  << "SPEAKERS.TXT line 3: speaker 14 is described twice (first on line 1)";
    QTest::newRow("libri: empty id") << "libri" << " | F | a | 1 | x\n" << "SPEAKERS.TXT line 1: the speaker ID is empty";
    QTest::newRow("libri: nothing") << "libri" << ";only comments\n" << "SPEAKERS.TXT describes no speaker";
    QTest::newRow("cv: no client_id") << "cv" << "path\tgender\na.mp3\tmale\n"
                                      << "validated.tsv line 1: the header has no client_id column (found: path, gender)";
    QTest::newRow("cv: short row") << "cv" << "client_id\tpath\tgender\nx\ta.mp3\tmale\ny\tb.mp3\n"
                                   << "validated.tsv line 3: 2 tab-separated fields, the header has 3";
    QTest::newRow("cv: empty id") << "cv" << "client_id\tgender\n\tmale\n" << "validated.tsv line 2: the client_id is empty";
    QTest::newRow("csv: no group column") << "csv" << "speaker,sex\na,F\n"
                                          << "speakers.csv line 1: expected a header with speaker and group columns "
                                             "(speaker,group[,...]), found 'speaker,sex'";
    QTest::newRow("csv: field count") << "csv" << "speaker,group\na,g1\nb,g2,extra\n"
                                      << "speakers.csv line 3: expected 2 fields (speaker, group), found 3";
    QTest::newRow("csv: twice") << "csv" << "speaker,group\na,g1\na,g2\n"
                                << "speakers.csv line 3: speaker a is listed twice (first on line 2)";
    QTest::newRow("csv: empty speaker") << "csv" << "speaker,group\n,g1\n" << "speakers.csv line 2: the speaker is empty";
    QTest::newRow("csv: quote") << "csv" << "speaker,group\n\"a,g1\n" << "speakers.csv line 2: a quoted field has no closing quote";
}

void TestSpeakerProfiles::malformed() {
    QFETCH(QString, format);
    QFETCH(QString, content);
    QFETCH(QString, message);
    const std::string text = content.toStdString();
    if (format == "libri") QCOMPARE(errorOf([&] { parseLibriSpeechSpeakers(text, "SPEAKERS.TXT"); }), message);
    if (format == "cv") QCOMPARE(errorOf([&] { parseCommonVoiceTsv(text, "validated.tsv"); }), message);
    if (format == "csv") QCOMPARE(errorOf([&] { parseSpeakersCsv(text, "speakers.csv"); }), message);
}

void TestSpeakerProfiles::readsByFormat() {
    QTemporaryDir dir;
    auto write = [&](const char* name, const char* text) {
        const std::string path = dir.path().toStdString() + "/" + name;
        std::ofstream(path) << text;
        return path;
    };
    QCOMPARE(readSpeakerTable(write("SPEAKERS.TXT", kLibriSpeech)).format, std::string("librispeech"));
    QCOMPARE(readSpeakerTable(write("train.tsv", kCommonVoice)).format, std::string("commonvoice"));
    QCOMPARE(readSpeakerTable(write("speakers.CSV", kCsv)).format, std::string("csv"));
    const std::string odd = write("notes.txt", "just some text\n");
    QCOMPARE(errorOf([&] { readSpeakerTable(odd); }),
             QString::fromStdString("cannot tell the format of " + odd +
                                    ": expected LibriSpeech's SPEAKERS.TXT, a Common Voice .tsv or a speakers .csv"));
    const std::string missing = dir.path().toStdString() + "/none.csv";
    QCOMPARE(errorOf([&] { readSpeakerTable(missing); }), QString::fromStdString("cannot read " + missing));
}

void TestSpeakerProfiles::grouping() {
    const SpeakerTable t = parseSpeakersCsv(kCsv, "speakers.csv");
    // Only the speakers present count, in their order; groups without one are dropped.
    QCOMPARE(names(groupSpeakers(t, "group", {"user3", "user1", "stranger"})), (std::vector<std::string>{"noisy:user3+user1"}));
    QCOMPARE(errorOf([&] { groupSpeakers(t, "age"); }),
             QStringLiteral("speakers.csv has no attribute 'age' to group speakers by (it has: group, sex, accent, condition)"));
    QCOMPARE(errorOf([&] { groupSpeakers(t, "group", {"stranger"}); }),
             QStringLiteral("none of the audio's speakers is described in speakers.csv (with a group)"));
}

void TestSpeakerProfiles::profileNames() {
    checkProfileNames({{"noisy", {"a", "b"}}, {"b", {"b"}}}, {"a", "b"});  // "b" is speaker b itself
    QCOMPARE(errorOf([] { checkProfileNames({{"all", {"a"}}}, {"a"}); }),
             QStringLiteral("a profile cannot be named 'all': that name means every speaker"));
    QCOMPARE(errorOf([] { checkProfileNames({{"a", {"a", "b"}}}, {"a", "b"}); }),
             QStringLiteral("profile 'a' has the name of a speaker but other members: rename the group"));
    QCOMPARE(errorOf([] { checkProfileNames({{"g", {"a"}}, {"g", {"b"}}}, {"a", "b"}); }),
             QStringLiteral("two profiles are named 'g'"));
}

QTEST_APPLESS_MAIN(TestSpeakerProfiles)
#include "test_speaker_profiles.moc"
