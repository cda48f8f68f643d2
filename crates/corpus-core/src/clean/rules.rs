//! The single-document cleaning rules.
//!
//! Every rule looks at the *shape* of a line — where it sits in the document,
//! how long it is, its punctuation, links, handles and dates — and, where a
//! word is needed, at a short marker list (Arabic and English, written in
//! natural spelling below and key-folded when the cleaner is built). Lines are
//! compared in `key`-normalized form; cuts are spans of the original text.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::boilerplate::{self, BoilerplateModel};
use super::fold::{Folded, Folder};
use super::passages::{Passage, passage_hash};
use super::{CleanConfig, Cut};
use crate::Result;

/// A named single-document rule. Names are public (configuration, output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Attribution line under an embedded post: a dash, a name, an `(@handle)`
    /// and a date (`— Name (@handle) January 8, 2026`), or `A post shared by …`.
    /// The post's own text above it is kept.
    EmbedAttribution,
    /// Media links of embedded posts (`pic.twitter.com/…`, `t.co/…`), cut as a
    /// span from the line that carries them.
    EmbedLink,
    /// A line made only of URLs and handles.
    LinkLine,
    /// Read-more blocks: a marker line (`اقرأ المزيد`, `Read more`) with the
    /// headline it links and a relative timestamp (`منذ يوم`) glued to the next
    /// paragraph; a marker-prefixed headline (`للمزيد: …`, `قد يهمك.. …`); a
    /// trailing `...المزيد` stub.
    ReadMore,
    /// Related-stories blocks: a heading line (`اقرأ أيضا`, `مواضيع ذات صلة`,
    /// `Related stories`) followed by two or more short headline items, up to
    /// the next running paragraph or the end; and an author-archive list
    /// (`مقالات أخرى للكاتب …`) that starts the last line or follows its last
    /// sentence, with the titles glued after it.
    RelatedBlock,
    /// A copy-the-link line or tail (`رابط الخبر …: <title>`).
    Permalink,
    /// Reader-comment blocks: a comments header followed by `name : text`
    /// lines, topic labels (`الموضوع :`) and the titles they name.
    Comments,
    /// Navigation at the edges of a page: separator lists
    /// (`سوريا - لبنان - فلسطين`), breadcrumbs, and the widget block that
    /// follows the last paragraph (`آخر الاضافات`, `الأكثر مشاهدة …`).
    EdgeNav,
    /// A CMS tag list glued after the last sentence (`… . سمات a b c`, `Tags: …`).
    TagList,
    /// Bylines and datelines standing apart from the text: `Name – City` at an
    /// edge, a date-only line with an agency code, a `Name- Outlet- City:`
    /// prefix glued to the lede, a `*نقلا عن …` credit.
    Byline,
    /// Agency sign-offs and transmission stamps: `// انتهى //`, `/يتبع/`,
    /// `16:16 ت م`, alone or glued to the end of a paragraph.
    Signoff,
    /// A photo caption above the lede: the first line, one to four words and
    /// letters only, directly before a running paragraph, that either opens with
    /// a photo marker (`صورة`, `من اليمين`, `Photo`) or names someone or
    /// something the lede then mentions (not as its first words, which is how a
    /// title restated by a definition reads).
    Caption,
    /// A one- or two-word site signature on the last line, after a paragraph.
    Signature,
    /// Short copyright / opinion disclaimers near the end of a document.
    Disclaimer,
    /// Share bars, follow-us lines and app-notification promos.
    Share,
    /// Lines drawn as a rule across the page: one symbol repeated (`-----`,
    /// `*   *   *`), two in turn (`-=-=-`), or a symmetric ornament
    /// (`——— ◆ ———`). Other lines of punctuation are text (`--«` closing
    /// a dialogue, `});` in code).
    Separator,
    /// Teaser ledes of other stories appended after the article with no
    /// heading (a "more stories" block): a trailing run of four or more short
    /// paragraphs (60–240 characters) that each open the way a news lede does,
    /// with no conjunction or connective tying them to the paragraph before,
    /// after an article written in continuation paragraphs (`وقال …`, `وأضاف …`).
    /// Leading lines of the run that reuse the article's words are left to it.
    TeaserRun,
}

impl Rule {
    /// Every rule, in the order they run.
    pub const ALL: &'static [Rule] = &[
        Rule::Comments,
        Rule::EmbedAttribution,
        Rule::EmbedLink,
        Rule::LinkLine,
        Rule::RelatedBlock,
        Rule::ReadMore,
        Rule::Permalink,
        Rule::Signoff,
        Rule::Byline,
        Rule::EdgeNav,
        Rule::TagList,
        Rule::Caption,
        Rule::Signature,
        Rule::Disclaimer,
        Rule::Share,
        Rule::Separator,
        Rule::TeaserRun,
    ];

    /// The public name of the rule.
    pub fn name(self) -> &'static str {
        match self {
            Rule::EmbedAttribution => "embed_attribution",
            Rule::EmbedLink => "embed_link",
            Rule::LinkLine => "link_line",
            Rule::ReadMore => "read_more",
            Rule::RelatedBlock => "related_block",
            Rule::Caption => "caption",
            Rule::Permalink => "permalink",
            Rule::Comments => "comments",
            Rule::EdgeNav => "edge_nav",
            Rule::TagList => "tag_list",
            Rule::Byline => "byline",
            Rule::Signoff => "signoff",
            Rule::Signature => "signature",
            Rule::Disclaimer => "disclaimer",
            Rule::Share => "share",
            Rule::Separator => "separator",
            Rule::TeaserRun => "teaser_run",
        }
    }

    /// Which of the [`Ctx::edges`] the rule judges lines by (where they stand
    /// among the live lines: first, last, near the end), as a range of that
    /// array; empty for rules that judge each line by itself and its
    /// neighbours, whose verdicts a cut at the edges does not change.
    fn edges_judged(self) -> std::ops::Range<usize> {
        match self {
            Rule::Caption => 0..3,
            Rule::Byline | Rule::EdgeNav => 0..6,
            Rule::Comments
            | Rule::RelatedBlock
            | Rule::TagList
            | Rule::Signature
            | Rule::Disclaimer
            | Rule::Share
            | Rule::TeaserRun => 3..6,
            Rule::EmbedAttribution
            | Rule::EmbedLink
            | Rule::LinkLine
            | Rule::ReadMore
            | Rule::Permalink
            | Rule::Signoff
            | Rule::Separator => 0..0,
        }
    }

    /// The rule called `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }
}

// ---- marker lists (natural spelling; key-folded at build time) ----

/// Read-more / related-link markers.
const READ_MORE: &[&str] = &[
    "اقرأ المزيد",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "اقرأ كذلك",
    "طالع أيضا",
    "شاهد أيضا",
    "شاهد",
    "قد يهمك",
    "قد يهمك أيضا",
    "يهمك أيضا",
    "للمزيد",
    "المزيد",
    "كذلك",
    "ذات صلة",
    "أخبار ذات صلة",
    "مواضيع ذات صلة",
    "مقالات ذات صلة",
    "read more",
    "read also",
    "see also",
    "related",
    "more",
    "watch",
];

/// Related-stories headings (the whole line) that open a list of links, in
/// addition to the read-more markers.
const RELATED_HEADINGS: &[&str] = &[
    "أخبار متعلقة",
    "مواضيع متعلقة",
    "موضوعات ذات صلة",
    "قصص ذات صلة",
    "المزيد من الأخبار",
    "related articles",
    "related stories",
    "more stories",
    "more on this story",
];

/// Author-archive markers: the other articles of the writer follow, their
/// titles often glued to each other.
const AUTHOR_ARCHIVE: &[&str] = &[
    "مقالات أخرى للكاتب",
    "مقالات سابقة للكاتب",
    "مقالات أخرى للكاتبة",
    "more from this author",
    "more by this author",
];

/// A word that every [`AUTHOR_ARCHIVE`] marker contains (a cheap prefilter).
const ARCHIVE_WORD: &[&str] = &["للكاتب", "author"];

/// Longest author-archive list cut (folded bytes, marker included).
const ARCHIVE_MAX: usize = 1200;

/// Photo-caption openers (a caption line starting with one of these).
const PHOTO: &[&str] = &[
    "صورة",
    "الصورة",
    "صور",
    "لقطة",
    "جانب من",
    "من اليمين",
    "من اليسار",
    "photo",
    "file photo",
    "pictured",
];

/// Words for "more" that end a truncated teaser (`...المزيد`).
const MORE_STUB: &[&str] = &["المزيد", "اقرأ المزيد", "التفاصيل", "more", "read more"];

/// Relative-time units after `منذ` (longest first within a family).
const AGO_UNITS_AR: &[&str] = &[
    "يومين",
    "يوم",
    "أيام",
    "ساعتين",
    "ساعات",
    "ساعة",
    "دقيقتين",
    "دقائق",
    "دقيقة",
    "ثوان",
    "أسبوعين",
    "أسابيع",
    "أسبوع",
    "شهرين",
    "أشهر",
    "شهر",
    "سنتين",
    "سنوات",
    "سنة",
];
const AGO_UNITS_EN: &[&str] = &[
    "seconds", "second", "minutes", "minute", "mins", "min", "hours", "hour", "days", "day",
    "weeks", "week", "months", "month",
];

/// Copy-the-link markers (followed by `:` within a few words).
const PERMALINK: &[&str] = &[
    "رابط الخبر",
    "رابط المقال",
    "الرابط المختصر",
    "رابط مختصر",
    "permalink",
    "short link",
];

/// Reader-comment block headers (the whole line).
const COMMENT_HEADERS: &[&str] = &[
    "التعليقات",
    "تعليقات",
    "تعليق",
    "تعليقات القراء",
    "أضف تعليقك",
    "أضف تعليقا",
    "اترك تعليقا",
    "اكتب تعليقك",
    "comments",
    "reader comments",
    "leave a comment",
    "add a comment",
];

/// Labels inside comment blocks that name the commented article.
const COMMENT_LABELS: &[&str] = &["الموضوع", "المقال", "الخبر", "topic", "re"];

/// Widget / section headers that open the block after the last paragraph.
const WIDGETS: &[&str] = &[
    "آخر الإضافات",
    "آخر الأخبار",
    "أحدث الأخبار",
    "الأكثر مشاهدة",
    "الأكثر قراءة",
    "الأكثر تداولا",
    "الأكثر تصفحا",
    "الأكثر تعليقا",
    "الأكثر شعبية",
    "أخبار ذات صلة",
    "أخبار متعلقة",
    "مواضيع ذات صلة",
    "مواضيع متعلقة",
    "مقالات ذات صلة",
    "اقرأ أيضا",
    "تابعونا على",
    "تابعنا على",
    "most read",
    "most viewed",
    "most popular",
    "latest news",
    "related articles",
    "related stories",
    "recent posts",
    "popular posts",
    "follow us",
    "next previous",
];

/// Breadcrumb roots.
const HOME: &[&str] = &["الرئيسية", "الصفحة الرئيسية", "home"];

/// Tag-list markers. The bare ones (no colon) must follow a sentence end.
const TAGS_BARE: &[&str] = &["سمات"];
const TAGS_COLON: &[&str] = &[
    "الوسوم",
    "وسوم",
    "الكلمات المفتاحية",
    "كلمات مفتاحية",
    "tags",
    "keywords",
];

/// Agency end markers (the whole marker, between delimiters).
const SIGNOFF: &[&str] = &["انتهى", "يتبع", "ends", "end"];

/// Time-zone tags after a transmission time (`16:16 ت م` = Makkah time).
const TIME_TAGS: &[&str] = &["ت م", "ت غ", "تم", "تغ", "بتوقيت مكة", "gmt", "utc"];

/// Month and calendar words for datelines.
/// The days of the week, as a news lede dates its story (`قال البنك الدولي،
/// الأربعاء، إن …`).
const WEEKDAYS: &[&str] = &[
    "السبت",
    "الأحد",
    "الإثنين",
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
];

const MONTHS: &[&str] = &[
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ابريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين",
    "محرم",
    "صفر",
    "ربيع",
    "جمادى",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "القعدة",
    "الحجة",
    "ذو",
    "الأول",
    "الثاني",
    "الآخر",
    "هـ",
    "م",
    "الموافق",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Source-credit openers (`*نقلاً عن …`).
const CREDIT: &[&str] = &["نقلا عن", "نقلاً عن", "المصدر", "source"];

/// Disclaimer phrases (copyright, opinion).
const DISCLAIMER: &[&str] = &[
    "جميع الحقوق محفوظة",
    "الحقوق محفوظة",
    "حقوق الطبع والنشر",
    "حقوق النشر محفوظة",
    "تمثل رأي كتابها",
    "تمثل رأي كاتبها",
    "تعبر عن رأي كاتبها",
    "تعبر عن رأي كتابها",
    "لا تعكس بالضرورة",
    "all rights reserved",
    "copyright",
    "the views expressed",
];

/// Social platforms (two on one short line make a share bar).
const PLATFORMS: &[&str] = &[
    "تويتر",
    "فيسبوك",
    "فيس بوك",
    "واتساب",
    "واتس اب",
    "تلغرام",
    "تيليجرام",
    "انستغرام",
    "انستجرام",
    "يوتيوب",
    "لينكد إن",
    "جوجل بلس",
    "twitter",
    "facebook",
    "whatsapp",
    "telegram",
    "instagram",
    "youtube",
    "linkedin",
];
/// Follow / share openers.
const FOLLOW: &[&str] = &[
    "تابعونا على",
    "تابعنا على",
    "تابعونا عبر",
    "follow us on",
    "share on",
];
/// App promo words: an app word plus a notification/download word.
const APP: &[&str] = &["تطبيق", "app"];
const APP_ACTION: &[&str] = &[
    "إشعارات",
    "تحميل",
    "حمل",
    "نزل",
    "download",
    "notifications",
];

/// `A post shared by …` openers of Instagram-style attributions.
const POST_SHARED: &[&str] = &["a post shared by", "منشور شاركه", "منشور تمت مشاركته"];

/// Media-link hosts of embedded posts.
const EMBED_HOSTS: &[&str] = &["pic.twitter.com/", "t.co/", "instagr.am/"];

/// Teaser ledes: length band in code points (teaser blocks cut a lede at 240),
/// fewest words, and fewest paragraphs in a run.
const TEASER_CHARS: (usize, usize) = (60, 240);
const TEASER_MIN_WORDS: usize = 8;
const TEASER_MIN_RUN: usize = 4;
/// Article paragraphs before a teaser run (besides the lede) whose words the
/// run's first line is compared with.
const TEASER_TOPIC_LINES: usize = 5;

/// `و`/`ف` glued to a two-letter word (or to `قد`): a conjunction, not the first
/// letter of a verb such as `وصف` or `فجر`. Glued to three letters or more it
/// is taken as a conjunction whatever the word.
const CONJ_SHORT: &[&str] = &[
    "وفي", "ومن", "وقد", "ولم", "وعن", "وهو", "وهي", "وما", "ولا", "وإن", "وأن", "ولن", "وتم",
    "وبه", "وله", "ولو", "وكم", "ومع", "وكل", "فلم", "فما", "فلا", "فهو", "فهي", "فإن", "فقد",
];

/// Openers that tie a paragraph to the one before or turn to another side of
/// the story (a lede never starts so).
const CONTINUATION: &[&str] = &[
    "كما",
    "لكن",
    "لكنه",
    "لكنها",
    "أما",
    "بينما",
    "ثم",
    "يذكر",
    "يشار",
    "إلا",
    "حيث",
    "كذلك",
    "أيضا",
    "بدوره",
    "بدورها",
    "من جانبه",
    "من جانبها",
    "من جهته",
    "من جهتها",
    "في المقابل",
    "بالمقابل",
    "في الوقت نفسه",
    "في غضون ذلك",
    "في سياق متصل",
    "في سياق آخر",
    "في سياق منفصل",
    "في شأن آخر",
    "من جهة أخرى",
    "من جهة ثانية",
    "من ناحية أخرى",
    "على صعيد آخر",
    "على صعيد مختلف",
    "على صعيد متصل",
    "إلى ذلك",
    "هذا",
    "هذه",
    "ذلك",
];

/// Demonstratives: as the second word (`جاء ذلك …`) they point back.
const DEMONSTRATIVES: &[&str] = &["ذلك", "هذا", "هذه", "ذاك", "تلك"];

/// Words left out when comparing a teaser's words with the article's: function
/// words, reporting verbs and days, which every news paragraph has.
/// Folded like the key, so one spelling stands for its alef variants.
const TOPIC_STOP: &[&str] = &[
    "في",
    "من",
    "على",
    "إلى",
    "عن",
    "أن",
    "أنه",
    "التي",
    "الذي",
    "الذين",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هو",
    "هي",
    "هم",
    "كان",
    "كانت",
    "يكون",
    "مع",
    "بعد",
    "قبل",
    "خلال",
    "حتى",
    "منذ",
    "بين",
    "عند",
    "لدى",
    "كما",
    "أو",
    "ثم",
    "لكن",
    "لكنه",
    "ولكن",
    "غير",
    "أي",
    "كل",
    "بعض",
    "قد",
    "لقد",
    "لم",
    "لن",
    "لا",
    "ما",
    "ماذا",
    "إذا",
    "إذ",
    "حيث",
    "أيضا",
    "فيه",
    "فيها",
    "منه",
    "منها",
    "عليه",
    "عليها",
    "إليه",
    "له",
    "لها",
    "لهم",
    "به",
    "بها",
    "وهو",
    "وهي",
    "وقد",
    "وكان",
    "وذلك",
    "مما",
    "بما",
    "عبر",
    "نحو",
    "وفق",
    "وفقا",
    "حسب",
    "بحسب",
    "ضد",
    "دون",
    "سوى",
    "قال",
    "قالت",
    "وقال",
    "وقالت",
    "أعلن",
    "أعلنت",
    "أكد",
    "أكدت",
    "كشف",
    "كشفت",
    "أضاف",
    "وأضاف",
    "أشار",
    "يوم",
    "اليوم",
    "الأحد",
    "الإثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "أمس",
    "الماضي",
    "المقبل",
    "الجاري",
    "العام",
    "عام",
];

#[derive(Clone, Debug)]
struct Markers {
    read_more: Vec<String>,
    related_headings: Vec<String>,
    author_archive: Vec<String>,
    archive_word: Needles,
    photo: Vec<String>,
    more_stub: Vec<String>,
    /// The first characters of `read_more`, each once.
    read_more_first: Vec<char>,
    /// The last words of `more_stub`, each once.
    more_stub_last: Vec<String>,
    ago_ar: Vec<String>,
    ago_en: Vec<String>,
    permalink: Needles,
    comment_headers: Vec<String>,
    comment_labels: Vec<String>,
    widgets: Vec<String>,
    home: Vec<String>,
    /// Bare tag-list markers, padded with a space on each side.
    tags_bare: Vec<String>,
    tags_colon: Needles,
    signoff: Vec<String>,
    time_tags: Vec<String>,
    months: HashSet<String>,
    weekdays: HashSet<String>,
    credit: Vec<String>,
    disclaimer: Needles,
    platforms: Needles,
    follow: Vec<String>,
    app: Needles,
    /// Matched as whole words: `حمل` is also inside `تحمل`, `حملة`.
    app_action: HashSet<String>,
    post_shared: Vec<String>,
    conj_short: Vec<String>,
    /// Continuation markers with the hash of their first word.
    continuation: Vec<(u64, String)>,
    demonstratives: Vec<String>,
    /// Hashes of the stop words' stems, sorted.
    topic_stop: Vec<u64>,
}

/// Markers searched anywhere in a line, with their searchers built once.
#[derive(Clone, Debug)]
struct Needles(Vec<memchr::memmem::Finder<'static>>);

impl Needles {
    fn new(list: &[String]) -> Self {
        Needles(
            list.iter()
                .map(|s| memchr::memmem::Finder::new(s.as_bytes()).into_owned())
                .collect(),
        )
    }

    fn any_in(&self, k: &str) -> bool {
        self.0.iter().any(|f| f.find(k.as_bytes()).is_some())
    }

    /// Each marker's searcher and its length in bytes, in list order.
    fn each(&self) -> impl Iterator<Item = (&memchr::memmem::Finder<'static>, usize)> {
        self.0.iter().map(|f| (f, f.needle().len()))
    }

    /// How many of the markers occur in `k`.
    fn count_in(&self, k: &str) -> usize {
        self.0
            .iter()
            .filter(|f| f.find(k.as_bytes()).is_some())
            .count()
    }
}

/// The compiled rule set.
#[derive(Clone, Debug)]
pub(crate) struct RuleSet {
    folder: Folder,
    on: Vec<Rule>,
    /// The places in `on` of the rules that judge edges: only they run again.
    rerun: Vec<usize>,
    boilerplate_on: bool,
    m: Markers,
}

/// One non-empty line of the document.
struct Line {
    /// Byte range in the document, without the newline.
    start: usize,
    end: usize,
    /// Byte range of the key-folded line in the document's key buffer.
    kstart: usize,
    kend: usize,
    /// `count_words(key)`.
    words: usize,
}

/// Whether a line ends as a sentence does: a full stop, a question or
/// exclamation mark (Latin or Arabic), before any closing quotes or spaces.
fn ends_a_sentence(line: &str) -> bool {
    line.trim_end()
        .trim_end_matches(['"', '\'', '»', '”', ')'])
        .ends_with(['.', '?', '!', '؟', '۔'])
}

/// Rounds of the rules at most (see [`RuleSet::cuts_of`]); each further round
/// needs a cut among the edge lines, which real pages run out of after two.
const MAX_ROUNDS: usize = 4;

struct Ctx<'a> {
    text: &'a str,
    /// The key-folded lines, back to back (one allocation per document).
    keys: &'a str,
    lines: &'a [Line],
    folder: &'a Folder,
    dead: Vec<bool>,
    cuts: Vec<Cut>,
    /// The related-stories headings that the last run of
    /// [`Rule::RelatedBlock`] left standing (too few items under them): a
    /// heading block can only be cut on a later run under one of them.
    headings_left: Vec<usize>,
}

impl<'a> Ctx<'a> {
    /// The first three and last three live lines, as far as the rules look
    /// (`usize::MAX` where there are fewer).
    fn edges(&self) -> [usize; 6] {
        let mut e = [usize::MAX; 6];
        for (slot, i) in e[..3].iter_mut().zip(self.live()) {
            *slot = i;
        }
        for (slot, i) in e[3..].iter_mut().zip(self.live().rev()) {
            *slot = i;
        }
        e
    }

    fn live(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        (0..self.lines.len()).filter(|&i| !self.dead[i])
    }

    /// The live lines, collected (for rules that cut while they walk them): one
    /// allocation of the right size, not a vector grown line by line.
    fn live_vec(&self) -> Vec<usize> {
        let mut v = Vec::with_capacity(self.lines.len());
        v.extend(self.live());
        v
    }

    fn next_live(&self, i: usize) -> Option<usize> {
        (i + 1..self.lines.len()).find(|&j| !self.dead[j])
    }

    fn prev_live(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&j| !self.dead[j])
    }

    fn key(&self, i: usize) -> &'a str {
        let l = &self.lines[i];
        &self.keys[l.kstart..l.kend]
    }

    /// Line `i` as written.
    fn raw(&self, i: usize) -> &'a str {
        let l = &self.lines[i];
        &self.text[l.start..l.end]
    }

    fn cut_line(&mut self, i: usize, rule: Rule) {
        self.cut_line_as(i, rule.name());
    }

    /// Cuts line `i` whole, with its line break, for the rule named `rule`.
    fn cut_line_as(&mut self, i: usize, rule: &'static str) {
        let l = &self.lines[i];
        let end = l.end + break_len(self.text, l.end).unwrap_or(0);
        self.cuts.push(Cut {
            rule,
            start: l.start,
            end,
        });
        self.dead[i] = true;
    }

    /// Cuts folded bytes `[a, b)` of line `i`, widened over the whitespace that
    /// separates the span from the rest of the line.
    fn cut_span(&mut self, i: usize, a: usize, b: usize, rule: Rule) {
        let l = &self.lines[i];
        let klen = l.kend - l.kstart;
        if a == 0 && b >= klen {
            self.cut_line(i, rule);
            return;
        }
        // The offset map is rebuilt only for the few lines cut by a span.
        let mut key = Folded::default();
        self.folder.fold(&self.text[l.start..l.end], &mut key);
        let mut start = if a == 0 {
            l.start
        } else {
            l.start + key.orig(a)
        };
        let mut end = if b >= klen {
            l.end
        } else {
            l.start + key.orig(b)
        };
        if b >= klen {
            // A tail: take the space before it too.
            while start > l.start {
                let Some(c) = self.text[..start].chars().next_back() else {
                    break;
                };
                if !c.is_whitespace() {
                    break;
                }
                start -= c.len_utf8();
            }
        } else if a == 0 {
            // A head: take the space after it too.
            while end < l.end {
                let Some(c) = self.text[end..].chars().next() else {
                    break;
                };
                if !c.is_whitespace() {
                    break;
                }
                end += c.len_utf8();
            }
        }
        if start < end {
            self.cuts.push(Cut {
                rule: rule.name(),
                start,
                end,
            });
        }
    }
}

/// Byte offset of the first `needle` in `hay` (SIMD search; `str::find` was a
/// tenth of the rules' profile).
fn find(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

/// Byte offset of the last `needle` in `hay`, overlapping matches included.
/// Forward SIMD searches: memchr's reverse search has no vector path and was a
/// twentieth of the profile.
fn rfind(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let finder = memchr::memmem::Finder::new(n);
    let mut last = None;
    let mut from = 0;
    while let Some(p) = h.get(from..).and_then(|rest| finder.find(rest)) {
        last = Some(from + p);
        from += p + 1;
    }
    last
}

/// `k` contains one of `bytes` (SIMD scans, three bytes at a time).
fn any_byte(k: &str, bytes: &[u8]) -> bool {
    let h = k.as_bytes();
    bytes.chunks(3).any(|c| match *c {
        [a, b, c] => memchr::memchr3(a, b, c, h).is_some(),
        [a, b] => memchr::memchr2(a, b, h).is_some(),
        [a] => memchr::memchr(a, h).is_some(),
        _ => false,
    })
}

/// Whether `s` certainly has more than `n` whitespace-separated tokens: pieces
/// between ASCII whitespace that hold an ASCII letter or digit or an Arabic-block
/// character are counted (each holds at least one token; other whitespace can only
/// split it further). False means "maybe not".
///
/// Sixteen bytes at a time where SSE2 is there (the byte-by-byte loop mispredicted
/// a branch at every word boundary; it was a third of the byline rule's time).
fn surely_more_tokens(s: &str, n: usize) -> bool {
    let b = s.as_bytes();
    let (mut count, mut seeking, mut at) = (0usize, true, 0usize);
    #[cfg(target_arch = "x86_64")]
    while at + 16 <= b.len() {
        let (space, counts) = token_masks(&b[at..at + 16]);
        // Bytes that are neither break nor count carry the state along: an
        // addition runs from each piece's start (the byte after a break, or the
        // block's start while still seeking) through them and stops on the
        // piece's first counting byte (a token) or on its break (none).
        let neither = !(space | counts) & 0xFFFF;
        let starts = space << 1 | u32::from(seeking);
        let sum = neither + starts;
        count += (sum & counts).count_ones() as usize;
        if count > n {
            return true;
        }
        seeking = sum >> 16 != 0;
        at += 16;
    }
    for &c in &b[at..] {
        if matches!(c, b'\t'..=b'\r' | b' ') {
            seeking = true;
        } else if seeking && counts_for_token(c) {
            seeking = false;
            count += 1;
            if count > n {
                return true;
            }
        }
    }
    false
}

/// A byte that makes its piece a token: an ASCII letter or digit, or the lead
/// byte of a character in U+0600–U+06FF.
fn counts_for_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || (0xD8..=0xDB).contains(&c)
}

/// Bit masks of the ASCII whitespace bytes and of the [`counts_for_token`]
/// bytes among 16.
#[cfg(target_arch = "x86_64")]
#[inline]
fn token_masks(block: &[u8]) -> (u32, u32) {
    use std::arch::x86_64::*;
    assert!(block.len() >= 16);
    // SAFETY: SSE2 is part of the x86-64 baseline; the load reads 16 bytes of a
    // slice checked just above.
    #[allow(unsafe_code)]
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        // Unsigned range checks: x - lo, at most hi - lo.
        let within = |lo: u8, hi: u8| {
            let d = _mm_sub_epi8(v, _mm_set1_epi8(lo as i8));
            _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((hi - lo) as i8)), d)
        };
        let space = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)),
            within(b'\t', b'\r'),
        );
        // ASCII letters: one range once the case bit is set.
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let letter = {
            let d = _mm_sub_epi8(lower, _mm_set1_epi8(b'a' as i8));
            _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(25)), d)
        };
        let counts = _mm_or_si128(_mm_or_si128(within(b'0', b'9'), letter), within(0xD8, 0xDB));
        (
            _mm_movemask_epi8(space) as u32,
            _mm_movemask_epi8(counts) as u32,
        )
    }
}

/// The lines of `text`, without their breaks, each with its byte offset: a
/// line ends at `\n`, at a lone `\r` (the line break of old Mac exports and
/// some legacy Arabic systems) or at U+2029 PARAGRAPH SEPARATOR (Word and
/// CMS exports), as the normalizer's line breaks. The `\r` of a `\r\n` stays
/// on its line, as trailing whitespace the folds drop ([`break_len`]). The
/// breaks are found by the memchr crate's vector search (the standard
/// library's byte search was a visible share of the rules' profile on long
/// paragraphs); U+2029's lead byte, shared by common punctuation (quotes,
/// dashes, `…`), is searched for only when `paragraphs` says the text has one
/// ([`has_paragraph_breaks`]).
fn split_lines(text: &str, paragraphs: bool) -> impl Iterator<Item = (usize, &str)> {
    let b = text.as_bytes();
    let third = if paragraphs {
        PARAGRAPH.as_bytes()[0]
    } else {
        b'\n'
    };
    let mut from = 0;
    memchr::memchr3_iter(b'\n', b'\r', third, b)
        .filter_map(move |i| Some((i, break_len(text, i)?)))
        .map(Some)
        .chain([None])
        .map(move |brk| {
            let (end, len) = brk.unwrap_or((text.len(), 0));
            let line = (from, &text[from..end]);
            from = end + len;
            line
        })
}

/// U+2029 PARAGRAPH SEPARATOR, a line break to the cleaner as to the normalizer.
const PARAGRAPH: &str = "\u{2029}";

/// Whether `text` has a U+2029 break. The searcher is built once: building
/// one for each text was a visible cost.
fn has_paragraph_breaks(text: &str) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(PARAGRAPH));
    FINDER.find(text.as_bytes()).is_some()
}

/// The length in bytes of the line break ([`split_lines`]) at byte `i` of
/// `text`, if one is there: 1 for `\n` and a lone `\r`, 3 for U+2029.
fn break_len(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match b.get(i)? {
        b'\n' => Some(1),
        b'\r' if b.get(i + 1) != Some(&b'\n') => Some(1),
        _ if b[i..].starts_with(PARAGRAPH.as_bytes()) => Some(PARAGRAPH.len()),
        _ => None,
    }
}

/// The lines of `text` (folded into `keys`) that `cuts` leave whole, with at
/// least `min_chars` characters besides spaces: its passages.
fn passages_of(
    text: &str,
    lines: &[Line],
    keys: &str,
    cuts: &[Cut],
    min_chars: usize,
) -> Vec<Passage> {
    let mut c = 0; // first cut that may still overlap
    let mut out = Vec::new();
    for l in lines {
        while c < cuts.len() && cuts[c].end <= l.start {
            c += 1;
        }
        if cuts.get(c).is_some_and(|cut| cut.start < l.end) {
            continue;
        }
        let key = &keys[l.kstart..l.kend];
        if boilerplate::line_chars(key) < min_chars {
            continue;
        }
        let end = l.end + break_len(text, l.end).unwrap_or(0);
        // A line break the cuts already took stays theirs.
        let end = cuts.get(c).map_or(end, |cut| end.min(cut.start));
        out.push(Passage {
            start: l.start,
            end,
            hash: passage_hash(key),
        });
    }
    out
}

/// Whether key `k` has one of `words` as a word of its own (between
/// characters that are not letters).
fn has_word(k: &str, words: &HashSet<String>) -> bool {
    k.split(|c: char| !c.is_alphabetic())
        .any(|t| words.contains(t))
}

/// The items, sorted, each once.
fn distinct<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The last space-separated word of `s`.
fn last_word(s: &str) -> &str {
    s.rsplit(' ').next().unwrap_or(s)
}

fn has(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

fn count_words(k: &str) -> usize {
    if k.is_empty() {
        0
    } else {
        k.split(' ').count()
    }
}

/// Letters only, runs of anything else collapsed to one space.
fn letters(k: &str) -> String {
    let mut out = String::with_capacity(k.len());
    let mut gap = false;
    for c in k.chars() {
        if is_letter(c) {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// `char::is_alphabetic` with fast paths for ASCII and Arabic letters (its
/// table lookup dominated the rules' profile).
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphabetic(),
    }
}

/// `char::is_alphanumeric` with the fast paths of [`is_letter`].
fn is_alnum(c: char) -> bool {
    is_letter(c)
        || if c.is_ascii() {
            c.is_ascii_digit()
        } else {
            c.is_alphanumeric()
        }
}

/// `s` starts with the word sequence `w` (whole words).
fn starts_with_words(s: &str, w: &str) -> bool {
    s.starts_with(w)
        && s[w.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

fn has_sentence_punct(k: &str) -> bool {
    k.chars()
        .any(|c| matches!(c, '.' | ',' | ';' | ':' | '?' | '!' | '"' | '(' | ')'))
}

fn ends_sentence(k: &str) -> bool {
    k.trim_end()
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | '"'))
}

/// A running paragraph (not a title, label or widget line).
fn is_paragraph(k: &str, words: usize) -> bool {
    words >= 12 || (words >= 4 && ends_sentence(k))
}

/// A link headline: a few words, one sentence, not closed by a full stop.
fn is_headline(k: &str, words: usize) -> bool {
    let k = k.trim_end();
    (2..=25).contains(&words)
        && k.len() <= 300
        && (!k.ends_with('.') || k.ends_with("..."))
        && !k.ends_with(':')
        && !k.ends_with(',')
        && !has_full_stop_inside(k)
}

/// Whether line `i` reads as a text's own headline: [`is_headline`], and not
/// an item of a list (`* سؤال القارئ؟` over the reader's `Name – City` in a
/// question-and-answer column).
fn opens_as_headline(cx: &Ctx<'_>, i: usize) -> bool {
    let k = cx.key(i);
    !k.starts_with(['*', '-', '•']) && is_headline(k, cx.lines[i].words)
}

/// A sentence-ending `.` followed by more text (an ellipsis `..` is not one).
fn has_full_stop_inside(k: &str) -> bool {
    let b = k.as_bytes();
    (1..b.len().saturating_sub(1)).any(|i| b[i] == b'.' && b[i + 1] == b' ' && b[i - 1] != b'.')
}

fn is_year(t: &str) -> bool {
    t.len() == 4
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t.starts_with("19") || t.starts_with("20"))
}

fn is_url_token(t: &str) -> bool {
    has(t, "://")
        || t.starts_with("www.")
        || EMBED_HOSTS.iter().any(|h| t.starts_with(h))
        || (t.contains('.')
            && t.contains('/')
            && t.is_ascii()
            && !t.starts_with('/')
            // Code (`<script>mocha.run();</script>`, `src="vendor/a.js">`) is
            // no address, though it has dots and slashes.
            && !t.contains(['<', '>', '(', ')', ';', '{', '}', '"']))
}

impl RuleSet {
    pub fn new(cfg: &CleanConfig) -> Result<Self> {
        let folder = Folder::new()?;
        let mut scratch = Folded::default();
        let mut fold_all = |list: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = list
                .iter()
                .map(|s| {
                    folder.fold(s, &mut scratch);
                    scratch.s.clone()
                })
                .collect();
            // Longest first, so that prefix matching takes the fullest marker.
            v.sort_by_key(|s| std::cmp::Reverse(s.len()));
            v.dedup();
            v
        };
        let read_more: Vec<String> = fold_all(READ_MORE).iter().map(|s| letters(s)).collect();
        let more_stub: Vec<String> = fold_all(MORE_STUB).iter().map(|s| letters(s)).collect();
        let m = Markers {
            read_more_first: distinct(read_more.iter().filter_map(|m| m.chars().next())),
            more_stub_last: distinct(more_stub.iter().map(|m| last_word(m).to_owned())),
            read_more,
            related_headings: fold_all(RELATED_HEADINGS)
                .iter()
                .map(|s| letters(s))
                .collect(),
            author_archive: fold_all(AUTHOR_ARCHIVE),
            archive_word: Needles::new(&fold_all(ARCHIVE_WORD)),
            photo: fold_all(PHOTO).iter().map(|s| letters(s)).collect(),
            more_stub,
            ago_ar: fold_all(AGO_UNITS_AR),
            ago_en: fold_all(AGO_UNITS_EN),
            permalink: Needles::new(&fold_all(PERMALINK)),
            comment_headers: fold_all(COMMENT_HEADERS),
            comment_labels: fold_all(COMMENT_LABELS),
            widgets: fold_all(WIDGETS).iter().map(|s| letters(s)).collect(),
            home: fold_all(HOME),
            tags_bare: fold_all(TAGS_BARE)
                .iter()
                .map(|m| format!(" {m} "))
                .collect(),
            tags_colon: Needles::new(&fold_all(TAGS_COLON)),
            signoff: fold_all(SIGNOFF),
            time_tags: fold_all(TIME_TAGS).iter().map(|s| letters(s)).collect(),
            months: fold_all(MONTHS).into_iter().collect(),
            weekdays: fold_all(WEEKDAYS).into_iter().collect(),
            credit: fold_all(CREDIT).iter().map(|s| letters(s)).collect(),
            disclaimer: Needles::new(&fold_all(DISCLAIMER)),
            platforms: Needles::new(&fold_all(PLATFORMS)),
            follow: fold_all(FOLLOW),
            app: Needles::new(&fold_all(APP)),
            app_action: fold_all(APP_ACTION).into_iter().collect(),
            post_shared: fold_all(POST_SHARED),
            conj_short: fold_all(CONJ_SHORT),
            continuation: fold_all(CONTINUATION)
                .iter()
                .map(|s| {
                    let m = letters(s);
                    (word_hash(first_word(&m).0.as_bytes()), m)
                })
                .collect(),
            demonstratives: fold_all(DEMONSTRATIVES),
            // Compared by stem, as the words they are compared with.
            topic_stop: {
                let mut v: Vec<u64> = fold_all(TOPIC_STOP)
                    .iter()
                    .map(|w| word_hash(stem(w.as_bytes(), w.chars().count())))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            },
        };
        let on: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|r| !cfg.disable.iter().any(|d| d == r.name()))
            .collect();
        let rerun = (0..on.len())
            .filter(|&k| !on[k].edges_judged().is_empty())
            .collect();
        Ok(RuleSet {
            folder,
            on,
            rerun,
            boilerplate_on: cfg.boilerplate_enabled(),
            m,
        })
    }

    /// The non-empty lines of `text` and their key folds, back to back.
    fn lines(&self, text: &str) -> (Vec<Line>, String) {
        self.lines_composing(text, &mut false)
    }

    /// [`RuleSet::lines`], setting `composes` when a line has a character that
    /// may compose with the one before it, or the text has U+2029 breaks (the
    /// key's breaks are then not the text's: both ask for the key to be
    /// normalized from the cleaned text).
    fn lines_composing(&self, text: &str, composes: &mut bool) -> (Vec<Line>, String) {
        let mut lines = Vec::new();
        let mut keys = String::with_capacity(text.len());
        let paragraphs = has_paragraph_breaks(text);
        *composes |= paragraphs;
        for (start, raw) in split_lines(text, paragraphs) {
            let end = start + raw.len();
            let kstart = keys.len();
            let words = self.folder.fold_into(raw, &mut keys, composes);
            if words > 0 {
                lines.push(Line {
                    start,
                    end,
                    kstart,
                    kend: keys.len(),
                    words,
                });
            }
            // The folds are joined by the text's line breaks, as in the key of the
            // text: when nothing is cut, `keys` is that key.
            if end < text.len() {
                keys.push('\n');
            }
        }
        (lines, keys)
    }

    /// Hashes of the lines of `text` for the boilerplate model: key-folded, digit
    /// runs collapsed, at least `min_chars` characters; each hash once. And the
    /// hashes of its lines of at least `ARTICLE_LINE_CHARS` characters.
    pub fn line_hashes(&self, text: &str, min_chars: usize) -> (Vec<u64>, Vec<u64>) {
        let (lines, keys) = self.lines(text);
        let mut long = Vec::new();
        let mut out: Vec<u64> = Vec::with_capacity(lines.len());
        for l in &lines {
            let key = &keys[l.kstart..l.kend];
            let chars = boilerplate::line_chars(key);
            if chars < min_chars {
                continue;
            }
            let h = boilerplate::collapsed_hash(key);
            out.push(h);
            if chars >= boilerplate::ARTICLE_LINE_CHARS {
                long.push(h);
            }
        }
        out.sort_unstable();
        out.dedup();
        (out, long)
    }

    /// [`RuleSet::cuts`] and the passages they leave ([`passages_of`]), the
    /// lines folded once.
    pub fn cuts_and_passages(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
        min_chars: usize,
    ) -> (Vec<Cut>, Vec<Passage>) {
        let (lines, keys) = self.lines(text);
        let cuts = self.cuts_of(text, model, &lines, &keys);
        let passages = passages_of(text, &lines, &keys, &cuts, min_chars);
        (cuts, passages)
    }

    pub fn cuts(&self, text: &str, model: Option<(&BoilerplateModel, &str)>) -> Vec<Cut> {
        let (lines, keys) = self.lines(text);
        self.cuts_of(text, model, &lines, &keys)
    }

    /// [`RuleSet::cuts`], and the key of the cleaned text when it follows from
    /// the lines' folds: every line is kept whole or cut whole (the common case),
    /// so the key is the kept lines' folds with the kept line breaks (the key
    /// profile trims each line and keeps line breaks). `None` when a cut takes
    /// part of a line, the text has breaks other than LF, or characters that
    /// compose with their neighbours; the caller then normalizes the cleaned text.
    pub fn cuts_and_key(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
    ) -> (Vec<Cut>, Option<String>) {
        let mut composes = false;
        let (lines, keys) = self.lines_composing(text, &mut composes);
        let cuts = self.cuts_of(text, model, &lines, &keys);
        if composes || memchr::memchr(b'\r', text.as_bytes()).is_some() {
            return (cuts, None);
        }
        if cuts.is_empty() {
            return (cuts, Some(keys));
        }
        let cut_at = |pos: usize, cuts: &[Cut]| cuts.iter().any(|c| c.start <= pos && pos < c.end);
        let mut key = String::with_capacity(keys.len() + lines.len());
        let mut folded = lines.iter().peekable();
        let mut c = 0; // first cut that may still overlap
        // A text with U+2029 breaks returned above (`composes`).
        for (start, raw) in split_lines(text, false) {
            let end = start + raw.len();
            while c < cuts.len() && cuts[c].end <= start {
                c += 1;
            }
            let line = folded.next_if(|l| l.start == start);
            if let Some(l) = line {
                let rest = &cuts[c..];
                match rest.first().filter(|cut| cut.start < end) {
                    None => key.push_str(&keys[l.kstart..l.kend]),
                    Some(cut) if cut.start <= start && cut.end >= end => {}
                    Some(_) => return (cuts, None),
                }
            }
            if end < text.len() && !cut_at(end, &cuts[c..]) {
                key.push('\n');
            }
        }
        (cuts, Some(key))
    }

    fn cuts_of(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
        lines: &[Line],
        keys: &str,
    ) -> Vec<Cut> {
        self.cuts_skipping(text, model, lines, keys, true)
    }

    /// [`RuleSet::cuts_of`]; with `skip` false, every rule whose judged edges
    /// changed runs again, even where [`RuleSet::may_cut_again`] shows that it
    /// would cut nothing new (the tests check that the cuts are the same).
    fn cuts_skipping(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
        lines: &[Line],
        keys: &str,
        skip: bool,
    ) -> Vec<Cut> {
        let n = lines.len();
        let mut cx = Ctx {
            text,
            keys,
            lines,
            folder: &self.folder,
            dead: vec![false; n],
            cuts: Vec::new(),
            headings_left: Vec::new(),
        };
        // Several rules look at the first and last lines still standing. A cut
        // there shows them lines they have not judged as edges (a byline under a
        // navigation bar or a site's repeated header): each such rule runs again
        // while the edges it judges have changed since it last ran, so cleaning a
        // cleaned text cuts no more.
        let mut edges = cx.edges();
        // The edges each rule (of `self.on`, in order) last judged, and how
        // many cuts there were then: with none since, the edges are the same
        // (most rules, on most pages), which one comparison tells.
        let mut judged = [([0; 6], 0); Rule::ALL.len()];
        for (&rule, seen) in self.on.iter().zip(&mut judged) {
            *seen = (edges, cx.cuts.len());
            edges = self.run(rule, &mut cx, edges);
        }
        if let (true, Some((model, group))) = (self.boilerplate_on, model) {
            for i in 0..n {
                if !cx.dead[i] && model.is_boilerplate(group, cx.key(i)) {
                    cx.cut_line_as(i, boilerplate::RULE);
                }
            }
            edges = cx.edges();
        }
        for _ in 1..MAX_ROUNDS {
            let mut ran = false;
            for &r in &self.rerun {
                let (rule, seen) = (self.on[r], &mut judged[r]);
                // No slice comparison: that was a `memcmp` call for each rule
                // and round.
                let part = rule.edges_judged();
                if seen.1 == cx.cuts.len() || part.clone().all(|k| edges[k] == seen.0[k]) {
                    continue;
                }
                // Most of these runs would cut nothing. One skipped because it
                // provably cuts nothing new counts as run (it judged these
                // edges), so the rounds go on as they would have.
                let (before, _) = std::mem::replace(seen, (edges, cx.cuts.len()));
                if !skip || self.may_cut_again(rule, &cx, &before, &edges) {
                    edges = self.run(rule, &mut cx, edges);
                }
                ran = true;
            }
            if !ran {
                break;
            }
        }
        merge(cx.cuts)
    }

    /// Whether running `rule` again, on lines whose [`Ctx::edges`] are `now`,
    /// may cut something it did not cut when it last ran on edges `before`
    /// (false only where it provably cuts nothing new). Its last run judged
    /// the lines it looked at and cut those it could, and lines only die since:
    /// a verdict can change only for a line that stands where it did not (a new
    /// edge line, a new neighbour), and those are judged here with the rule's
    /// own per-line tests (inlined into the rules: they run on every line).
    fn may_cut_again(
        &self,
        rule: Rule,
        cx: &Ctx<'_>,
        before: &[usize; 6],
        now: &[usize; 6],
    ) -> bool {
        // Lines that joined the last three (judged as near the end).
        let new_near_end = || {
            now[3..]
                .iter()
                .copied()
                .filter(|&i| i != usize::MAX && !before[3..].contains(&i))
        };
        match rule {
            // Blocks under a header are cut once no more than one live line
            // follows the header: every header from the second-to-last live line
            // on was settled; only headers between its new and old place, dead
            // or not (the rule walks them all), can be cut now.
            Rule::Comments => {
                let from = |e: &[usize; 6]| if e[4] == usize::MAX { 0 } else { e[4] };
                (from(now)..from(before)).any(|i| self.is_comment_header(cx, i))
            }
            // A heading left standing may have lost a line between its items
            // anywhere (the rule walks every live line, so every heading still
            // standing was left); the author archive is judged on the last line.
            Rule::RelatedBlock => {
                cx.headings_left.iter().any(|&i| !cx.dead[i])
                    || (now[3] != before[3]
                        && now[3] != usize::MAX
                        && self.archive_start(cx.key(now[3])).is_some())
            }
            Rule::Byline => self.byline_may_cut_again(cx, before, now),
            // The head: the leading nav lines are cut up to the first other
            // line, and a first line judged before is such a line. The tail is
            // judged whole (its lines are few), the rule's first step skipped.
            Rule::EdgeNav => {
                (now[0] != before[0] && now[0] != usize::MAX && self.is_edge_nav_head(cx, now[0]))
                    || self.nav_tail(cx).is_some()
            }
            // Lines are cut by themselves anywhere (settled on the first run) or
            // because they are among the last three.
            Rule::Disclaimer => new_near_end().any(|i| self.is_disclaimer(cx, i, true)),
            Rule::Share => new_near_end().any(|i| self.is_share(cx, i, true)),
            // They judge the first two lines and the last one only.
            Rule::Caption => now[..2] != before[..2],
            Rule::TagList => now[3] != before[3],
            _ => true,
        }
    }

    /// Runs one rule on lines whose [`Ctx::edges`] are `edges`; returns the
    /// edges after it.
    fn run(&self, rule: Rule, cx: &mut Ctx<'_>, edges: [usize; 6]) -> [usize; 6] {
        let cuts = cx.cuts.len();
        match rule {
            Rule::Comments => self.comments(cx),
            Rule::EmbedAttribution => self.embed_attribution(cx),
            Rule::EmbedLink => self.embed_link(cx),
            Rule::LinkLine => self.link_line(cx),
            Rule::RelatedBlock => self.related_block(cx),
            Rule::ReadMore => self.read_more(cx),
            Rule::Permalink => self.permalink(cx),
            Rule::Signoff => self.signoff(cx),
            Rule::Byline => self.byline(cx),
            Rule::EdgeNav => self.edge_nav(cx),
            Rule::TagList => self.tag_list(cx),
            Rule::Caption => self.caption(cx),
            Rule::Signature => self.signature(cx),
            Rule::Disclaimer => self.disclaimer(cx),
            Rule::Share => self.share(cx),
            Rule::Separator => self.separator(cx),
            Rule::TeaserRun => self.teaser_run(cx),
        }
        if cx.cuts.len() == cuts {
            edges
        } else {
            cx.edges()
        }
    }

    // ---- rules ----

    fn comments(&self, cx: &mut Ctx<'_>) {
        let n = cx.lines.len();
        let mut i = 0;
        while i < n {
            if !self.is_comment_header(cx, i) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            let mut comments = 0;
            while j < n {
                let kj = cx.key(j);
                if self.is_comment(kj) {
                    comments += 1;
                    j += 1;
                } else if self.is_comment_label(kj) {
                    j += 1;
                    if j < n && cx.lines[j].words <= 40 && !self.is_comment(cx.key(j)) {
                        j += 1;
                    }
                } else {
                    break;
                }
            }
            let near_end = cx.live().filter(|&x| x > i).count() <= 1;
            if comments > 0 || near_end {
                for x in i..j {
                    if !cx.dead[x] {
                        cx.cut_line(x, Rule::Comments);
                    }
                }
            }
            i = j.max(i + 1);
        }
    }

    /// Line `i` is a comments header (by its words alone, cut or not).
    #[inline(always)]
    fn is_comment_header(&self, cx: &Ctx<'_>, i: usize) -> bool {
        let k = cx.key(i);
        cx.lines[i].words <= 5 && !k.ends_with('.') && self.m.comment_headers.contains(&letters(k))
    }

    /// `name : text` — a short name (no sentence punctuation) before a colon.
    fn is_comment(&self, k: &str) -> bool {
        let Some(colon) = k.find(':') else {
            return false;
        };
        let name = k[..colon]
            .trim()
            .trim_start_matches(['-', '_', '*', '.'])
            .trim();
        let rest = k[colon + 1..].trim();
        let nw = count_words(name);
        (1..=5).contains(&nw)
            && !rest.is_empty()
            && name.chars().any(char::is_alphabetic)
            && !name.chars().any(|c| c.is_ascii_digit())
            && !has_sentence_punct(name)
            && !self.is_comment_label(k)
    }

    fn is_comment_label(&self, k: &str) -> bool {
        let t = k.trim_end();
        t.ends_with(':') && {
            let l = letters(t);
            self.m.comment_labels.contains(&l)
        }
    }

    fn embed_attribution(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if cx.dead[i] || cx.lines[i].words > 30 {
                continue;
            }
            let k = cx.key(i);
            let last = k.rsplit(' ').next().unwrap_or_default();
            if !is_year(last) {
                continue;
            }
            let dash = k.starts_with('-') && has(k, "(@") && k.contains(')');
            let shared = self.m.post_shared.iter().any(|p| starts_with_words(k, p))
                && (k.contains('@') || k.contains('('));
            if dash || shared {
                cx.cut_line(i, Rule::EmbedAttribution);
            }
        }
    }

    fn embed_link(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if cx.dead[i] {
                continue;
            }
            let k = cx.key(i);
            let host = |h: &str| memchr::memmem::find(k.as_bytes(), h.as_bytes()).is_some();
            if memchr::memchr(b'/', k.as_bytes()).is_none() || !EMBED_HOSTS.iter().any(|h| host(h))
            {
                continue;
            }
            let mut spans = Vec::new();
            let mut pos = 0;
            for tok in k.split(' ') {
                let a = pos;
                let b = pos + tok.len();
                pos = b + 1;
                let t = tok
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                if EMBED_HOSTS
                    .iter()
                    .any(|h| t.starts_with(h) && t.len() > h.len())
                {
                    spans.push((a, b));
                }
            }
            // Merge neighbouring link tokens into one span.
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for (a, b) in spans {
                match merged.last_mut() {
                    Some(last) if last.1 + 1 == a => last.1 = b,
                    _ => merged.push((a, b)),
                }
            }
            for (a, b) in merged {
                cx.cut_span(i, a, b, Rule::EmbedLink);
            }
        }
    }

    fn link_line(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if cx.dead[i] {
                continue;
            }
            let k = cx.key(i);
            let mut urls = 0;
            let all = k.split(' ').all(|t| {
                // A word (no `.` or `/`, starting with a letter or digit) is
                // neither a URL nor a handle nor punctuation.
                let plain = t.chars().next().is_some_and(is_alnum)
                    && !t.bytes().any(|b| b == b'.' || b == b'/');
                if plain {
                    return false;
                }
                if is_url_token(t) {
                    urls += 1;
                    true
                } else {
                    t.starts_with('@') || t.chars().all(|c| !c.is_alphanumeric())
                }
            });
            if all && urls > 0 {
                cx.cut_line(i, Rule::LinkLine);
            }
        }
    }

    fn related_block(&self, cx: &mut Ctx<'_>) {
        let n = cx.lines.len();
        cx.headings_left.clear();
        let mut i = 0;
        while i < n {
            if cx.dead[i] {
                i += 1;
                continue;
            }
            // (a) a heading line and the headline items under it. One item is
            // left to `read_more` (marker + the headline it links).
            if self.is_related_heading(cx, i) {
                let items: Vec<usize> = (i + 1..n)
                    .filter(|&j| !cx.dead[j])
                    .take_while(|&j| {
                        let (kj, wj) = (cx.key(j), cx.lines[j].words);
                        wj <= 15 && is_headline(kj, wj) && self.starts_with_ago(kj).is_none()
                    })
                    .collect();
                if items.len() >= 2 {
                    cx.cut_line(i, Rule::RelatedBlock);
                    for &j in &items {
                        cx.cut_line(j, Rule::RelatedBlock);
                    }
                    i = items[items.len() - 1] + 1;
                    continue;
                }
                cx.headings_left.push(i);
            }
            i += 1;
        }
        // (b) an author-archive list on the last line: the marker opens the
        // line or follows a sentence end, and everything after it is titles.
        let Some(last) = cx.live().next_back() else {
            return;
        };
        let k = cx.key(last);
        if let Some(at) = self.archive_start(k) {
            cx.cut_span(last, at, k.len(), Rule::RelatedBlock);
        }
    }

    /// Line `i` is a related-stories heading (by its words alone).
    #[inline(always)]
    fn is_related_heading(&self, cx: &Ctx<'_>, i: usize) -> bool {
        let k = cx.key(i);
        cx.lines[i].words <= 5 && !k.ends_with('.') && {
            let l = letters(k);
            self.m.read_more.contains(&l) || self.m.related_headings.contains(&l)
        }
    }

    /// Where an author-archive list starts in `k`, the last line: a marker
    /// that opens the line or follows a sentence end.
    #[inline(always)]
    fn archive_start(&self, k: &str) -> Option<usize> {
        // Only the line's tail is searched: the list is short, and the last
        // line of a one-line document is the whole text.
        let mut from = k.len().saturating_sub(ARCHIVE_MAX);
        while !k.is_char_boundary(from) {
            from += 1;
        }
        // One prebuilt search for the word every marker has, then the markers.
        if !self.m.archive_word.any_in(&k[from..]) {
            return None;
        }
        for m in &self.m.author_archive {
            let Some(at) = find(&k[from..], m).map(|a| a + from) else {
                continue;
            };
            let before = k[..at].trim_end();
            let opens = before.is_empty()
                || before
                    .chars()
                    .next_back()
                    .is_some_and(|c| matches!(c, '.' | '!' | '?' | '"'));
            if opens {
                return Some(at);
            }
        }
        None
    }

    fn read_more(&self, cx: &mut Ctx<'_>) {
        let first = cx.live().next();
        for i in 0..cx.lines.len() {
            if cx.dead[i] {
                continue;
            }
            let opens = Some(i) == first; // no line before this one stands
            let k = cx.key(i);
            let words = cx.lines[i].words;
            // (a) a marker line, the headline it links, a glued timestamp.
            if words <= 5 && !k.ends_with('.') && self.m.read_more.contains(&letters(k)) {
                cx.cut_line(i, Rule::ReadMore);
                if let Some(j) = cx.next_live(i) {
                    let (kj, wj) = (cx.key(j), cx.lines[j].words);
                    if is_headline(kj, wj) && self.starts_with_ago(kj).is_none() {
                        cx.cut_line(j, Rule::ReadMore);
                        if let Some(t) = cx.next_live(j)
                            && let Some(e) = self.starts_with_ago(cx.key(t))
                        {
                            cx.cut_span(t, 0, e, Rule::ReadMore);
                        }
                    } else if let Some(e) = self.starts_with_ago(kj) {
                        cx.cut_span(j, 0, e, Rule::ReadMore);
                    }
                }
                continue;
            }
            // (b) a marker, a separator, a headline; not the text's first
            // line, which is the article's own headline (`شاهد.. ولي العهد
            // يصل واشنطن`) when a corpus gives title and body together: a
            // link to another story sits between paragraphs.
            if let Some(rest) = self.marker_prefix(k).filter(|_| !opens)
                && is_headline(rest.trim(), count_words(rest.trim()))
            {
                cx.cut_line(i, Rule::ReadMore);
                continue;
            }
            // (c) a trailing `...المزيد` stub. The line's last word is the
            // stub's last word, which is cheaper to check than finding `...`.
            let last = k.trim_end_matches(|c: char| !is_letter(c));
            if !self
                .m
                .more_stub_last
                .iter()
                .any(|w| last.ends_with(w.as_str()))
            {
                continue;
            }
            if let Some(dots) = rfind(k, "...") {
                let tail = letters(&k[dots..]);
                if !tail.is_empty() && self.m.more_stub.contains(&tail) {
                    cx.cut_span(i, dots, k.len(), Rule::ReadMore);
                }
            }
        }
    }

    /// The text after a read-more marker and its separator (`للمزيد: …`).
    fn marker_prefix<'k>(&self, k: &'k str) -> Option<&'k str> {
        // Most lines open with a letter no marker opens with (a first byte is
        // shared by most Arabic letters).
        let first = k.chars().next()?;
        if !self.m.read_more_first.contains(&first) {
            return None;
        }
        for m in &self.m.read_more {
            if !starts_with_words(k, m) {
                continue;
            }
            let rest = k[m.len()..].trim_start();
            for sep in ["...", "..", ":", "-", "\"", ">", "|"] {
                if let Some(r) = rest.strip_prefix(sep)
                    && !r.trim().is_empty()
                {
                    return Some(r);
                }
            }
        }
        None
    }

    /// End (folded bytes) of a relative timestamp at the start of `k`
    /// (`منذ يوم`, `منذ 3 ساعات`, `2 hours ago`), even when glued to the next word.
    fn starts_with_ago(&self, k: &str) -> Option<usize> {
        if let Some(r) = k.strip_prefix("منذ ") {
            let base = k.len() - r.len();
            let digits = r.bytes().take_while(u8::is_ascii_digit).count();
            let r2 = if digits > 0 {
                r[digits..].strip_prefix(' ')?
            } else {
                r
            };
            let base = base + (r.len() - r2.len());
            for u in &self.m.ago_ar {
                if r2.starts_with(u.as_str()) {
                    return Some(base + u.len());
                }
            }
            return None;
        }
        let digits = k.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let r = k[digits..].strip_prefix(' ')?;
            for u in &self.m.ago_en {
                if let Some(r2) = r.strip_prefix(u.as_str())
                    && let Some(r3) = r2.strip_prefix(" ago")
                {
                    return Some(k.len() - r3.len());
                }
            }
        }
        None
    }

    fn permalink(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if cx.dead[i] {
                continue;
            }
            let k = cx.key(i);
            // Every permalink marker is followed by a colon.
            if memchr::memchr(b':', k.as_bytes()).is_none() {
                continue;
            }
            // The first marker that makes a cut ends this line's search (the
            // cut runs to the line's end).
            'markers: for (m, len) in self.m.permalink.each() {
                let mut from = 0;
                while let Some(p) = m.find(&k.as_bytes()[from..]).map(|p| p + from) {
                    from = p + len;
                    let at_word = p == 0 || k[..p].ends_with(' ');
                    let colon = k[p..].find(':').map(|c| c + p);
                    let near = colon.is_some_and(|c| count_words(k[p..c].trim()) <= 5);
                    if at_word && near {
                        cx.cut_span(i, p, k.len(), Rule::Permalink);
                        break 'markers;
                    }
                }
            }
        }
    }

    fn signoff(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if cx.dead[i] {
                continue;
            }
            let k = cx.key(i);
            if cx.lines[i].words <= 4 {
                let l = letters(k);
                let delims = k.chars().any(|c| matches!(c, '/' | '-' | '(' | '[' | '*'));
                let arabic = !l.is_ascii();
                if self.m.signoff.contains(&l) && (delims || arabic) {
                    cx.cut_line(i, Rule::Signoff);
                    continue;
                }
            }
            if self.is_time_stamp(k) {
                cx.cut_line(i, Rule::Signoff);
                continue;
            }
            // Glued at the end of a paragraph: `… . // انتهى //`.
            if let Some(a) = self.glued_signoff(k) {
                cx.cut_span(i, a, k.len(), Rule::Signoff);
            }
        }
    }

    fn is_time_stamp(&self, k: &str) -> bool {
        let b = k.as_bytes();
        let h = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=2).contains(&h) || b.get(h) != Some(&b':') {
            return false;
        }
        let m = b[h + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if m != 2 {
            return false;
        }
        let rest = &k[h + 1 + m..];
        let tag = letters(rest);
        let other_ok = rest
            .chars()
            .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == ' ' || c == '.');
        other_ok && (tag.is_empty() || self.m.time_tags.contains(&tag))
    }

    /// Start (folded bytes) of a sign-off glued to the end of `k`.
    fn glued_signoff(&self, k: &str) -> Option<usize> {
        let is_delim = |c: char| matches!(c, '/' | '-' | '(' | ')' | '[' | ']' | '*');
        // Only delimiters and spaces may follow the marker, so it ends `core`.
        let core = k.trim_end_matches(|c: char| is_delim(c) || c.is_whitespace());
        for s in &self.m.signoff {
            if s.is_ascii() {
                continue; // English words are too common to cut from prose
            }
            if !core.ends_with(s.as_str()) {
                continue;
            }
            let p = core.len() - s.len();
            let after = k[p + s.len()..].trim();
            if !after.chars().all(|c| is_delim(c) || c == ' ') {
                continue;
            }
            let before = k[..p].trim_end();
            let open = before.len()
                - before
                    .chars()
                    .rev()
                    .take_while(|&c| is_delim(c) || c == ' ')
                    .map(char::len_utf8)
                    .sum::<usize>();
            if open == before.len() && after.is_empty() {
                continue; // no delimiter at all: a word in a sentence
            }
            return Some(open);
        }
        None
    }

    fn byline(&self, cx: &mut Ctx<'_>) {
        let live = cx.live_vec();
        let Some(&first) = live.first() else {
            return;
        };
        let last = *live.last().unwrap_or(&first);
        // A text opened by its headline (a corpus giving title and body
        // together) has its byline, or its lede with a glued one, under it.
        let second = self.under_headline(cx, &live);
        for lede in std::iter::once(first).chain(second) {
            if let Some(end) = self.glued_byline(cx.key(lede)) {
                cx.cut_span(lede, 0, end, Rule::Byline);
            }
        }
        let edges: Vec<usize> = {
            let mut e = live.iter().take(2).copied().collect::<Vec<_>>();
            e.extend(live.iter().rev().take(2).copied());
            e.sort_unstable();
            e.dedup();
            e
        };
        for i in edges {
            if cx.dead[i] {
                continue;
            }
            if self.is_byline_line(cx, i) {
                cx.cut_line(i, Rule::Byline);
                continue;
            }
            if i == first || i == last || Some(i) == second {
                let neighbour = if i == first || Some(i) == second {
                    cx.next_live(i)
                } else {
                    cx.prev_live(i)
                };
                if self.is_byline_beside(cx, i, neighbour) {
                    cx.cut_line(i, Rule::Byline);
                }
            }
        }
    }

    /// The second of the `live` lines when the first is a headline and a
    /// third follows: where a byline stands in a text opened by its title.
    fn under_headline(&self, cx: &Ctx<'_>, live: &[usize]) -> Option<usize> {
        let (&first, &second) = (live.first()?, live.get(1)?);
        (live.len() >= 3 && opens_as_headline(cx, first)).then_some(second)
    }

    /// End (folded bytes) of a glued `Name- Outlet- City:` prefix on the lede `k`.
    #[inline(always)]
    fn glued_byline(&self, k: &str) -> Option<usize> {
        // The colon is within the first 120 bytes: a paragraph is not searched
        // to its end (an ASCII byte, so the cut is at a character boundary).
        let colon = memchr::memchr(b':', &k.as_bytes()[..k.len().min(121)])?;
        let parts: Vec<&str> = k[..colon].split('-').map(str::trim).collect();
        let ok = parts.len() == 3
            && parts.iter().all(|p| {
                (1..=4).contains(&count_words(p))
                    && p.chars().all(|c| c.is_alphabetic() || c == ' ')
            });
        (ok && count_words(k[colon + 1..].trim()) >= 5).then_some(colon + 1)
    }

    /// Line `i` is a dateline or a credit, wherever it stands among the edges.
    #[inline(always)]
    fn is_byline_line(&self, cx: &Ctx<'_>, i: usize) -> bool {
        let k = cx.key(i);
        self.is_dateline(k)
            || (cx.lines[i].words <= 8
                // A byte test before the credit words, which fold the line's
                // letters for each (they were 4 % of the rules' instructions).
                && (k.starts_with('*') || k.contains(':'))
                && self
                    .m
                    .credit
                    .iter()
                    .any(|c| starts_with_words(&letters(k), c)))
    }

    /// Line `i`, the first or last, is a `Name – City` standing alone next to
    /// `neighbour`, a paragraph.
    #[inline(always)]
    fn is_byline_beside(&self, cx: &Ctx<'_>, i: usize, neighbour: Option<usize>) -> bool {
        let orig = &cx.text[cx.lines[i].start..cx.lines[i].end];
        let beside_paragraph =
            neighbour.is_some_and(|j| is_paragraph(cx.key(j), cx.lines[j].words));
        beside_paragraph && self.is_name_dash_place(orig, cx.key(i))
    }

    /// [`RuleSet::may_cut_again`] for [`Rule::Byline`]. It judges the first two
    /// and last two live lines, each by itself, and the first and last also
    /// with their neighbour; its last run cut those that it could, so a live
    /// line there was judged false, and only a line new among them, or the
    /// first or last line with a new place or neighbour, can be cut now. With
    /// none cut, each judged line has the neighbour it has before the run.
    fn byline_may_cut_again(&self, cx: &Ctx<'_>, before: &[usize; 6], now: &[usize; 6]) -> bool {
        const NONE: usize = usize::MAX;
        if now[0] == NONE {
            return false;
        }
        if now[0] != before[0] && self.glued_byline(cx.key(now[0])).is_some() {
            return true;
        }
        // The line under a headline first line ([`RuleSet::under_headline`]).
        let headed = |e: &[usize; 6]| (e[2] != NONE && opens_as_headline(cx, e[0])).then_some(e[1]);
        let (headed_before, headed_now) = (headed(before), headed(now));
        if let Some(second) = headed_now
            && headed_before != Some(second)
            && self.glued_byline(cx.key(second)).is_some()
        {
            return true;
        }
        // The first or last line, or the one under a headline (`under`), with
        // its neighbour (`NONE` where there is none).
        let standing = |e: &[usize; 6], under: Option<usize>, i: usize| {
            if i == e[0] {
                Some(e[1])
            } else if under == Some(i) {
                Some(e[2])
            } else if i == e[3] {
                Some(e[4])
            } else {
                None
            }
        };
        let judged = |e: &[usize; 6], i: usize| [e[0], e[1], e[3], e[4]].contains(&i);
        [now[0], now[1], now[3], now[4]]
            .into_iter()
            .filter(|&i| i != NONE)
            .any(|i| {
                (!judged(before, i) && self.is_byline_line(cx, i))
                    || standing(now, headed_now, i).is_some_and(|j| {
                        standing(before, headed_before, i) != Some(j)
                            && self.is_byline_beside(cx, i, Some(j).filter(|&j| j != NONE))
                    })
            })
    }

    /// `X – Y`: one dash-like separator between two runs of 1–3 words.
    fn is_name_dash_place(&self, orig: &str, k: &str) -> bool {
        // At most 7 tokens after dropping a 2-word `Next Previous` prefix. A
        // paragraph (most lines) is turned away by a byte count first.
        if surely_more_tokens(orig, 9) {
            return false;
        }
        let mut toks: Vec<&str> = orig.split_whitespace().take(10).collect();
        if toks.len() > 9 {
            return false;
        }
        let lk = letters(k);
        if starts_with_words(&lk, "next previous") {
            toks.drain(..2.min(toks.len()));
        }
        let is_sep = |t: &str| t.chars().all(|c| matches!(c, '-' | '–' | '—' | 'ـ' | '|'));
        let seps = toks.iter().filter(|t| is_sep(t)).count();
        // Dashes glued to a word (`سبق-`) count as a separator too.
        let glued = toks
            .iter()
            .filter(|t| {
                !is_sep(t) && (t.ends_with(['-', '–', '—']) || t.starts_with(['-', '–', '—']))
            })
            .count();
        if seps + glued != 1 || toks.len() > 7 {
            return false;
        }
        let body: String = toks.join(" ");
        let parts: Vec<&str> = body
            .split(['-', '–', '—', 'ـ', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        parts.len() == 2
            && parts.iter().all(|p| {
                let w = p.split_whitespace().count();
                (1..=3).contains(&w) && p.chars().all(|c| c.is_alphabetic() || c.is_whitespace())
            })
    }

    /// A line that is a date (and a place and agency code) and nothing else.
    fn is_dateline(&self, k: &str) -> bool {
        if any_byte(k, b".;?!\"(") {
            return false;
        }
        let mut date = 0;
        let mut other = 0;
        let mut year = false;
        for t in k.split([' ', ',', '/', '-']).filter(|t| !t.is_empty()) {
            if t.bytes().all(|b| b.is_ascii_digit()) && t.len() <= 4 {
                date += 1;
                year |= t.len() == 4;
            } else if self.m.months.contains(t) {
                date += 1;
            } else {
                other += 1;
                if other > 4 {
                    return false;
                }
            }
        }
        year && date >= 4
    }

    fn edge_nav(&self, cx: &mut Ctx<'_>) {
        // Head: nav lists and widget lines before the text.
        let head: Vec<usize> = cx.live().take(3).collect();
        for i in head {
            if self.is_edge_nav_head(cx, i) {
                cx.cut_line(i, Rule::EdgeNav);
            } else {
                break;
            }
        }
        // Tail: from the first nav/widget line after the last paragraph.
        if let Some(start) = self.nav_tail(cx) {
            for i in start..cx.lines.len() {
                if !cx.dead[i] {
                    cx.cut_line(i, Rule::EdgeNav);
                }
            }
        }
    }

    /// The first nav or widget line after the last paragraph, if any: the
    /// lines after it are read from the end back to that paragraph.
    fn nav_tail(&self, cx: &Ctx<'_>) -> Option<usize> {
        let mut start = None;
        for i in cx.live().rev() {
            if self.is_last_paragraph(cx, i) {
                break;
            }
            let orig = &cx.text[cx.lines[i].start..cx.lines[i].end];
            if self.is_widget(cx.key(i)) || self.is_nav_list(orig, cx.key(i)) {
                start = Some(i);
            }
        }
        start
    }

    /// Line `i`, among the first three, is navigation or a widget line.
    #[inline(always)]
    fn is_edge_nav_head(&self, cx: &Ctx<'_>, i: usize) -> bool {
        let orig = &cx.text[cx.lines[i].start..cx.lines[i].end];
        let k = cx.key(i);
        self.is_nav_list(orig, k) || (cx.lines[i].words <= 8 && self.is_widget(k))
    }

    /// Line `i` is a paragraph that can be the article's last, before the
    /// navigation at its tail.
    #[inline(always)]
    fn is_last_paragraph(&self, cx: &Ctx<'_>, i: usize) -> bool {
        // A widget line has at most 12 words.
        is_paragraph(cx.key(i), cx.lines[i].words)
            && (cx.lines[i].words > 12 || !self.is_widget(cx.key(i)))
    }

    fn is_widget(&self, k: &str) -> bool {
        count_words(k) <= 12 && {
            let l = letters(k);
            self.m.widgets.iter().any(|w| starts_with_words(&l, w))
        }
    }

    /// `a - b - c` (three or more short items) or `Home > x`.
    fn is_nav_list(&self, orig: &str, k: &str) -> bool {
        if any_byte(k, b".,;:?!\"") {
            return false;
        }
        let is_sep = |t: &str| {
            t.chars().all(|c| {
                matches!(
                    c,
                    '-' | '–' | '—' | '|' | '/' | '»' | '«' | '>' | '<' | '›' | '•' | '·'
                )
            })
        };
        let mut items: Vec<usize> = vec![0];
        for t in orig.split_whitespace() {
            if is_sep(t) {
                items.push(0);
            } else if let Some(n) = items.last_mut() {
                *n += 1;
                if *n > 3 {
                    return false;
                }
            }
        }
        if items.iter().any(|&n| n == 0 || n > 3) {
            return false;
        }
        items.len() >= 3
            || (items.len() >= 2 && self.m.home.iter().any(|h| starts_with_words(k, h)))
    }

    fn tag_list(&self, cx: &mut Ctx<'_>) {
        let Some(i) = cx.live().next_back() else {
            return;
        };
        let k = cx.key(i);
        let tail_ok = |rest: &str| {
            let w = count_words(rest.trim());
            (1..=15).contains(&w) && !rest.contains(['.', ';', ':', '?', '!', '"', '(', ')'])
        };
        for pat in &self.m.tags_bare {
            if let Some(p) = rfind(k, pat) {
                let before = k[..p].trim_end();
                if ends_sentence(before) && tail_ok(&k[p + pat.len()..]) {
                    cx.cut_span(i, p + 1, k.len(), Rule::TagList);
                    return;
                }
            }
        }
        // Every marker below is followed by a colon.
        if memchr::memchr(b':', k.as_bytes()).is_none() {
            return;
        }
        for (m, len) in self.m.tags_colon.each() {
            let mut from = 0;
            while let Some(p) = m.find(&k.as_bytes()[from..]).map(|p| p + from) {
                from = p + len;
                let at_word = p == 0 || k[..p].ends_with(' ');
                let rest = k[p + len..].trim_start();
                if at_word
                    && let Some(r) = rest.strip_prefix(':')
                    && tail_ok(&r.replace(',', " "))
                {
                    cx.cut_span(i, p, k.len(), Rule::TagList);
                    return;
                }
            }
        }
    }

    fn caption(&self, cx: &mut Ctx<'_>) {
        let mut live = cx.live();
        let first_two = (live.next(), live.next());
        drop(live);
        let (Some(i), Some(p)) = first_two else {
            return;
        };
        let (k, kp) = (cx.key(i), cx.key(p));
        let words = cx.lines[i].words;
        if !(1..=4).contains(&words)
            || k.chars().count() > 40
            || letters(k) != k
            || cx.lines[p].words < 12
            || !is_paragraph(kp, cx.lines[p].words)
        {
            return;
        }
        let photo = self.m.photo.iter().any(|m| starts_with_words(k, m));
        // The caption's words, in order, inside the lede's first 40 words, but
        // not opening it.
        let head: String = kp.split(' ').take(40).collect::<Vec<_>>().join(" ");
        let head = letters(&head);
        let named = !starts_with_words(&head, k)
            && find(&head, k).is_some_and(|at| {
                head[..at].ends_with(' ')
                    && head[at + k.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !is_letter(c))
            });
        if photo || named {
            cx.cut_line(i, Rule::Caption);
        }
    }

    fn signature(&self, cx: &mut Ctx<'_>) {
        let live = cx.live_vec();
        if live.len() < 3 {
            return;
        }
        let i = live[live.len() - 1];
        let p = live[live.len() - 2];
        let k = cx.key(i);
        if cx.lines[i].words <= 2
            && k.chars().count() <= 20
            && letters(k) == k
            && cx.lines[p].words >= 12
        {
            cx.cut_line(i, Rule::Signature);
        }
    }

    fn disclaimer(&self, cx: &mut Ctx<'_>) {
        let live = cx.live_vec();
        let n = live.len();
        for (pos, &i) in live.iter().enumerate() {
            if self.is_disclaimer(cx, i, pos + 3 >= n) {
                cx.cut_line(i, Rule::Disclaimer);
            }
        }
    }

    /// Line `i` is a disclaimer: marked as one, or `near_end` (among the last
    /// three live lines).
    #[inline(always)]
    fn is_disclaimer(&self, cx: &Ctx<'_>, i: usize, near_end: bool) -> bool {
        let k = cx.key(i);
        let marked = k.starts_with('*') || k.starts_with('©');
        cx.lines[i].words <= 15 && (near_end || marked) && self.m.disclaimer.any_in(k)
    }

    fn share(&self, cx: &mut Ctx<'_>) {
        let live = cx.live_vec();
        let n = live.len();
        for (pos, &i) in live.iter().enumerate() {
            if self.is_share(cx, i, pos + 3 >= n) {
                cx.cut_line(i, Rule::Share);
            }
        }
    }

    /// Line `i` is a share bar, or, `near_end` (among the last three live
    /// lines), an app promo.
    #[inline(always)]
    fn is_share(&self, cx: &Ctx<'_>, i: usize, near_end: bool) -> bool {
        let k = cx.key(i);
        let words = cx.lines[i].words;
        let bar = words <= 15 && {
            let platforms = self.m.platforms.count_in(k);
            let follow = self.m.follow.iter().any(|f| starts_with_words(k, f));
            // A bar lists platforms; a line that ends as a sentence ends is
            // one that names them ("Facebook bought WhatsApp for $19bn.",
            // "ما الفرق بين فيسبوك وتويتر؟"), unless it asks to follow.
            (platforms >= 2 && !ends_a_sentence(cx.raw(i))) || (follow && platforms >= 1)
        };
        let app =
            near_end && words <= 30 && self.m.app.any_in(k) && has_word(k, &self.m.app_action);
        bar || app
    }

    fn teaser_run(&self, cx: &mut Ctx<'_>) {
        // A run and the article's lede and one more paragraph take six lines;
        // most documents end with a line that is no lede: settled at once.
        if cx.lines.len() < TEASER_MIN_RUN + 2
            || cx
                .live()
                .next_back()
                .is_none_or(|i| self.teaser_shape(cx, i, true) != Shape::Lede)
        {
            return;
        }
        let live = cx.live_vec();
        let n = live.len();
        // The lede and at least one more paragraph stay before a run.
        if n < TEASER_MIN_RUN + 2 {
            return;
        }
        // The trailing run of lede-shaped lines, with at most one continuation
        // inside it right after a lede (`وصلت …` reads as `و` + a verb).
        // Each line's shape, computed once: the walk looks one line ahead and
        // the topic test below reads the run again.
        let mut shapes: Vec<Option<Shape>> = vec![None; n];
        let mut shape =
            |p: usize| *shapes[p].get_or_insert_with(|| self.teaser_shape(cx, live[p], false));
        let mut start = None;
        let mut gap = false;
        let mut p = n - 1;
        while p >= 1 {
            match shape(p) {
                Shape::Lede => start = Some(p),
                Shape::Continues
                    if !gap && start.is_some() && p >= 2 && shape(p - 1) == Shape::Lede =>
                {
                    gap = true;
                }
                _ => break,
            }
            p -= 1;
        }
        let Some(mut s) = start.filter(|&s| s >= 2 && n - s >= TEASER_MIN_RUN) else {
            return;
        };
        // The article is written in continuation paragraphs, the style the
        // teasers break; a text of lede-shaped paragraphs throughout is not cut.
        if !live[1..s]
            .iter()
            .any(|&i| self.opens_with_conjunction(first_word(cx.key(i)).0))
        {
            return;
        }
        // Leading lines of the run that reuse the article's words (two words
        // it repeats, or a third of their own) continue the article. The
        // article is its lede, the paragraphs right before the run (those a
        // continuation reuses; reading them all cost time for nothing on the
        // development news) and the lines already given back to it.
        let near = s.saturating_sub(TEASER_TOPIC_LINES).max(1);
        let mut own: Vec<u64> = Vec::new();
        let mut lines: Vec<(u32, usize)> = Vec::new();
        // The words of each article line, read once for all the lines tested.
        let mut read: Vec<Option<Vec<u64>>> = vec![None; n];
        while s < n {
            // A run starts with a lede: a continuation at its head goes first.
            if shape(s) == Shape::Lede {
                own.clear();
                self.topic_words(cx.key(live[s]), |h| own.push(h));
                own.sort_unstable();
                own.dedup();
                // How many article lines use each of its words. A 64-bit
                // filter turns most article words away before the search.
                let filter = own.iter().fold(0u64, |m, h| m | 1 << (h >> 58));
                lines.clear();
                lines.resize(own.len(), (0, usize::MAX));
                for line in std::iter::once(0).chain(near..s) {
                    let words = read[line].get_or_insert_with(|| {
                        let mut v = Vec::new();
                        self.topic_words(cx.key(live[line]), |h| v.push(h));
                        v
                    });
                    for &h in words.iter() {
                        if filter & 1 << (h >> 58) == 0 {
                            continue;
                        }
                        if let Ok(j) = own.binary_search(&h)
                            && lines[j].1 != line
                        {
                            lines[j] = (lines[j].0 + 1, line);
                        }
                    }
                }
                let known = lines.iter().filter(|l| l.0 >= 1).count();
                let repeated = lines.iter().filter(|l| l.0 >= 2).count();
                if repeated < 2 && (own.is_empty() || known * 100 < own.len() * 34) {
                    break;
                }
            }
            s += 1;
        }
        if n - s < TEASER_MIN_RUN {
            return;
        }
        // Other stories' ledes date them (`، الإثنين، أن …`): a run in which no
        // line names a weekday is the article's own closing paragraphs (a
        // feature's list of facts, an interview's last answers), which a
        // heading-less article may also end with.
        if !live[s..].iter().any(|&i| self.names_a_weekday(cx.key(i))) {
            return;
        }
        for &i in &live[s..] {
            cx.cut_line(i, Rule::TeaserRun);
        }
    }

    /// Whether key `k` has a weekday as a word of its own.
    fn names_a_weekday(&self, k: &str) -> bool {
        has_word(k, &self.m.weekdays)
    }

    /// The [`Shape`] of line `i`. With `lede_only`, a line opened by a
    /// continuation is [`Shape::Other`] at once, its length not counted (the
    /// test on the last line of every document).
    fn teaser_shape(&self, cx: &Ctx<'_>, i: usize, lede_only: bool) -> Shape {
        let line = &cx.lines[i];
        if line.words < TEASER_MIN_WORDS {
            return Shape::Other;
        }
        // The first word: its letters, after an opening quote. A line opening
        // with anything else (a list item, a number) is not a lede.
        let k = cx.key(i);
        let quoted = k.starts_with('"');
        let body = if quoted {
            k.trim_start_matches(|c: char| !is_letter(c))
        } else {
            k
        };
        let (first, rest) = first_word(body);
        if !first
            .chars()
            .next()
            .is_some_and(|c| ('\u{0621}'..='\u{064A}').contains(&c))
        {
            return Shape::Other;
        }
        // Cheap word tests before the length count: marker words compared by
        // hash, the demonstratives (three letters) only for a word of three,
        // and a fronted adverb (`ميدانيا، …`, `سياسيا، …`).
        let points_back = self.opens_with_conjunction(first)
            || (first.ends_with("يا") && body[first.len()..].starts_with(','))
            || {
                let h = word_hash(first.as_bytes());
                self.m
                    .continuation
                    .iter()
                    .any(|(head, m)| *head == h && starts_with_words(body, m))
            }
            || (!quoted && {
                let second = first_word(rest).0;
                second.len() == 6 && self.m.demonstratives.iter().any(|d| d == second)
            });
        if points_back && lede_only {
            return Shape::Other;
        }
        let (lo, hi) = TEASER_CHARS;
        let orig = cx.text[line.start..line.end].trim();
        // A character takes 1–4 bytes: most lines are settled without counting.
        if orig.len() < lo || orig.len() > 4 * hi || !(lo..=hi).contains(&orig.chars().count()) {
            Shape::Other
        } else if points_back {
            Shape::Continues
        } else {
            Shape::Lede
        }
    }

    /// `w` is a conjunction glued to a word (`وقال`, `فإن`, `وقد`).
    fn opens_with_conjunction(&self, w: &str) -> bool {
        (w.starts_with('و') || w.starts_with('ف'))
            && (w.chars().count() >= 4 || self.m.conj_short.iter().any(|c| c == w))
    }

    /// Calls `f` with the hashed stem of every content word of key `k` (a run
    /// of at least three letters, not in [`TOPIC_STOP`]). In the key every
    /// non-letter is ASCII and words are split by single spaces, so the text
    /// is cut at spaces (`memchr`) and only a word with ASCII bytes is split
    /// further, at its punctuation and digits.
    fn topic_words(&self, k: &str, mut f: impl FnMut(u64)) {
        let mut word = |w: &[u8], n: usize| {
            if n >= 3 {
                let h = word_hash(stem(w, n));
                if self.m.topic_stop.binary_search(&h).is_err() {
                    f(h);
                }
            }
        };
        let b = k.as_bytes();
        let mut start = 0;
        for end in memchr::memchr_iter(b' ', b).chain(std::iter::once(b.len())) {
            let token = &b[start..end];
            start = end + 1;
            match non_ascii_letters(token) {
                Some(n) => word(token, n),
                None => {
                    let letter = |c: u8| c >= 0x80 || c.is_ascii_alphabetic();
                    for w in token.split(|&c| !letter(c)) {
                        word(w, w.iter().filter(|&&c| c & 0xC0 != 0x80).count());
                    }
                }
            }
        }
    }

    fn separator(&self, cx: &mut Ctx<'_>) {
        for i in 0..cx.lines.len() {
            if !cx.dead[i] && is_drawn_rule(cx.key(i)) {
                cx.cut_line(i, Rule::Separator);
            }
        }
    }
}

/// Whether a key-folded line is a drawn rule (see [`Rule::Separator`]): at
/// least three symbols, no letter or digit, and, with spaces dropped and each
/// run of one symbol taken once, a single symbol, two in turn, or a sequence
/// that reads the same both ways.
fn is_drawn_rule(k: &str) -> bool {
    let mut count = 0;
    let mut runs: Vec<char> = Vec::new();
    for c in k.chars().filter(|c| !c.is_whitespace()) {
        if is_alnum(c) {
            return false;
        }
        count += 1;
        if runs.last() != Some(&c) {
            // An ornament is a few runs, however long each is.
            if runs.len() == 64 {
                return false;
            }
            runs.push(c);
        }
    }
    let alternating = runs.len() >= 3 && runs.iter().skip(2).zip(&runs).all(|(a, b)| a == b);
    count >= 3 && (runs.len() == 1 || alternating || runs.iter().eq(runs.iter().rev()))
}

/// How a line reads as a possible teaser lede.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Not teaser-sized, or not a running Arabic sentence.
    Other,
    /// Teaser-sized, but opened by a conjunction or connective.
    Continues,
    /// Teaser-sized and opened the way a lede is.
    Lede,
}

/// The leading letters of `k` (its first word) and what follows them, from
/// the next letter on.
fn first_word(k: &str) -> (&str, &str) {
    let end = k.find(|c: char| !is_letter(c)).unwrap_or(k.len());
    let rest = &k[end..];
    (&k[..end], rest.trim_start_matches(|c: char| !is_letter(c)))
}

/// A light stem for comparing words: a glued conjunction, preposition and
/// article and a short suffix taken off, at least three letters left. `n` is
/// the word's length in letters. On bytes, with fixed-size compares: it runs
/// on every word the rule reads.
fn stem(w: &[u8], n: usize) -> &[u8] {
    // Every affix is Arabic: two bytes a letter.
    const fn b<const N: usize>(s: &str) -> [u8; N] {
        let (s, mut out, mut i) = (s.as_bytes(), [0; N], 0);
        while i < N {
            out[i] = s[i];
            i += 1;
        }
        out
    }
    const CONJ: [[u8; 2]; 2] = [b("و"), b("ف")];
    const ART3: [[u8; 6]; 2] = [b("بال"), b("كال")];
    const ART2: [[u8; 4]; 2] = [b("لل"), b("ال")];
    const PREP: [[u8; 2]; 3] = [b("ب"), b("ل"), b("ك")];
    const SUF3: [u8; 6] = b("هما");
    const SUF2: [[u8; 4]; 7] = [
        b("هم"),
        b("ها"),
        b("ات"),
        b("ون"),
        b("ين"),
        b("ان"),
        b("يه"),
    ];
    const SUF1: [[u8; 2]; 2] = [b("ه"), b("ي")];
    let (mut w, mut n) = (w, n);
    if n >= 5 && w.first_chunk().is_some_and(|p| CONJ.contains(p)) {
        (w, n) = (&w[2..], n - 1);
    }
    if n >= 6 && w.first_chunk().is_some_and(|p| ART3.contains(p)) {
        (w, n) = (&w[6..], n - 3);
    } else if n >= 5 && w.first_chunk().is_some_and(|p| ART2.contains(p)) {
        (w, n) = (&w[4..], n - 2);
    } else if n >= 5 && w.first_chunk().is_some_and(|p| PREP.contains(p)) {
        (w, n) = (&w[2..], n - 1);
    }
    let cut = if n >= 6 && w.last_chunk() == Some(&SUF3) {
        6
    } else if n >= 5 && w.last_chunk().is_some_and(|s| SUF2.contains(s)) {
        4
    } else if n >= 4 && w.last_chunk().is_some_and(|s| SUF1.contains(s)) {
        2
    } else {
        0
    };
    &w[..w.len() - cut]
}

/// The number of characters of `w` if it has no ASCII byte: the bytes that
/// are not continuation bytes (`10xxxxxx`).
fn non_ascii_letters(w: &[u8]) -> Option<usize> {
    let mut continuation = 0;
    for &c in w {
        if c < 0x80 {
            return None;
        }
        continuation += usize::from(c < 0xC0);
    }
    Some(w.len() - continuation)
}

/// A 64-bit hash of a word: the rule compares words as numbers.
fn word_hash(w: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(w)
}

/// Sorts the cuts and merges overlapping ones (the first rule keeps the name).
fn merge(mut cuts: Vec<Cut>) -> Vec<Cut> {
    cuts.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
    let mut out: Vec<Cut> = Vec::with_capacity(cuts.len());
    for c in cuts {
        if c.start >= c.end {
            continue;
        }
        match out.last_mut() {
            Some(last) if c.start < last.end => last.end = last.end.max(c.end),
            // Neighbouring lines cut by the same rule are one block.
            Some(last) if c.start == last.end && c.rule == last.rule => last.end = c.end,
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules drawn across a page go; punctuation that is text (a dialogue's
    /// closing `--«` in Gutenberg's German Alice, code in a scraped page) stays.
    #[test]
    fn a_separator_is_a_drawn_rule_not_any_punctuation() {
        for rule in [
            "-----",
            "*       *       *       *",
            "-=-=-=-",
            "——— ◆ ———",
            "• • •",
            "*** ### ***",
            "~~~",
            &"-".repeat(500),
        ] {
            assert!(is_drawn_rule(rule), "{rule}");
        }
        for text in [
            "--«", "});", "})();", "<!--", "-->", "},{", "...؟", "!!", "-a-",
        ] {
            assert!(!is_drawn_rule(text), "{text}");
        }
    }

    /// Whether `rule` cuts `line`, whole, standing between the paragraphs
    /// `lead` and `tail` (`tail` empty: `line` ends the text).
    fn cuts_whole(rules: &RuleSet, rule: &str, lead: &str, line: &str, tail: &str) -> bool {
        let text = [lead, line, tail]
            .iter()
            .filter(|l| !l.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        rules
            .cuts(&text, None)
            .iter()
            .any(|c| c.rule == rule && text[c.start..c.end].trim() == line)
    }

    /// A share bar lists platforms; a sentence that names two of them is the
    /// article's (it was cut, and a one-sentence record emptied). The Okaz bar
    /// of boilerplate_gold's README and a "follow us" line are still cut.
    #[test]
    fn a_sentence_that_names_platforms_is_no_share_bar() {
        let rules = RuleSet::new(&CleanConfig::default()).unwrap();
        let lead = "أعلنت وزارة الاتصالات اليوم عن خطة جديدة لتطوير شبكات الإنترنت في المدن الكبرى.";
        let tail = "وقال الوزير إن المشروع سيكتمل خلال ثلاث سنوات بتكلفة تقدر بمليار دولار.";
        for (line, bar) in [
            (
                "وانتشر الوسم على تويتر وفيسبوك بشكل واسع خلال ساعات قليلة من صدور القرار.",
                false,
            ),
            ("Facebook bought WhatsApp for $19bn.", false),
            ("ما الفرق بين فيسبوك وتويتر؟", false),
            ("شارك من خلال تويتر فيسبوك جوجل بلس اكتب رأيك", true),
            ("Facebook Twitter WhatsApp Email", true),
            ("تابعونا على تويتر.", true),
        ] {
            assert_eq!(cuts_whole(&rules, "share", lead, line, tail), bar, "{line}");
        }
    }

    /// An app promo near the end asks to download (`حمّل`, `تحميل`): the
    /// action is a word of its own, not letters inside `تحمل` (carries) or
    /// `حملة` (campaign) in a sentence that names an `تطبيق` (application)
    /// of sanctions.
    #[test]
    fn an_app_promo_is_asked_for_in_words_of_its_own() {
        let rules = RuleSet::new(&CleanConfig::default()).unwrap();
        let lead = "أعلنت وزارة الدفاع اليوم عن تدريبات بحرية مشتركة مع عدد من الدول الحليفة.";
        for (line, promo) in [
            (
                "أرسلت أستراليا سفينة حربية تحمل صواريخ موجهة إلى المنطقة الرامية إلى تطبيق العقوبات على كوريا الشمالية.",
                false,
            ),
            (
                "أطلقت الوزارة حملة لتطبيق القانون الجديد في المدن الكبرى.",
                false,
            ),
            ("حمّل تطبيق الصحيفة على هاتفك الآن", true),
            ("يمكنكم تحميل تطبيق بي بي سي عربي على هواتفكم", true),
        ] {
            assert_eq!(cuts_whole(&rules, "share", lead, line, ""), promo, "{line}");
        }
    }

    /// A line of code in a programming tutorial has dots and slashes but no
    /// address: `link_line` leaves it; a line of addresses still goes.
    #[test]
    fn code_is_no_link_line() {
        let rules = RuleSet::new(&CleanConfig::default()).unwrap();
        let lead =
            "This tutorial shows how to run the tests in the browser with a few lines of markup.";
        let tail = "Open the page and the results appear below the heading, one line per test.";
        for (line, link) in [
            ("<script>mocha.run();</script>", false),
            (
                r#"data-cover-adapter="vendor/mocha-blanket.js"></script>"#,
                false,
            ),
            ("example.com/tests/run.html", true),
            ("https://example.com/a/b", true),
        ] {
            assert_eq!(
                cuts_whole(&rules, "link_line", lead, line, tail),
                link,
                "{line}"
            );
        }
    }

    /// "الأكثر تصفحاً" (most browsed) opens a block of other stories' headlines
    /// after the article, as "الأكثر قراءة" does.
    #[test]
    fn most_browsed_opens_the_block_after_the_article() {
        let rules = RuleSet::new(&CleanConfig::default()).unwrap();
        let article = "أكد وزير الخارجية أن بلاده ستواصل دعم الحل السياسي، مشيرا إلى أن الحوار هو السبيل الوحيد لإنهاء الأزمة.\n\
                       وقال في مؤتمر صحفي إن بلاده ملتزمة بتقديم المساعدات الإنسانية لجميع المناطق دون استثناء.";
        let block = "القبض على شاب في العاصمة\nتحاول الدخول داخل حقيبة سفر";
        for heading in ["الأكثر تصفحاً", "الأكثر قراءة"] {
            let text = format!("{article}\n{heading}\n{block}");
            let cut: usize = rules
                .cuts(&text, None)
                .iter()
                .map(|c| c.end - c.start)
                .sum();
            assert_eq!(cut, text.len() - article.len() - 1, "{heading}");
        }
    }

    #[test]
    fn surely_more_tokens_never_overcounts() {
        let (mut yes, mut no) = (0, 0);
        for text in crate::seed_texts() {
            let extra = ["a\u{a0}b c", "\u{a0} \u{2003} x", "- ـ | y"];
            for line in text.lines().chain(extra) {
                for n in 0..12 {
                    let real = line.split_whitespace().count();
                    if surely_more_tokens(line, n) {
                        assert!(real > n, "{line:?} has {real} tokens, not more than {n}");
                        yes += 1;
                    } else {
                        no += 1;
                    }
                }
            }
        }
        assert!(yes > 100 && no > 10);
    }

    /// The byte-by-byte definition of [`surely_more_tokens`]'s count.
    fn tokens_by_bytes(s: &str) -> usize {
        let (mut count, mut seeking) = (0, true);
        for &c in s.as_bytes() {
            if matches!(c, b'\t'..=b'\r' | b' ') {
                seeking = true;
            } else if seeking && counts_for_token(c) {
                seeking = false;
                count += 1;
            }
        }
        count
    }

    /// Rule sets to compare the skipped reruns on (built once: a fold table
    /// each): every rule, and without the rules whose cuts other rules' verdicts
    /// hang on (read_more takes the headings related_block would see, comments
    /// and edge_nav cut the ends of pages).
    fn rule_sets() -> &'static [RuleSet] {
        static SETS: std::sync::OnceLock<Vec<RuleSet>> = std::sync::OnceLock::new();
        SETS.get_or_init(|| {
            [
                &[][..],
                &["read_more"],
                &["comments", "edge_nav"],
                &["signoff", "separator"],
            ]
            .iter()
            .map(|off| {
                let cfg = CleanConfig {
                    disable: off.iter().map(|r| (*r).to_owned()).collect(),
                    ..CleanConfig::default()
                };
                RuleSet::new(&cfg).unwrap()
            })
            .collect()
        })
    }

    /// The cuts of `text` with the reruns that provably cut nothing new
    /// skipped, and with every rerun run.
    fn with_and_without_skips(rules: &RuleSet, text: &str) -> (Vec<Cut>, Vec<Cut>) {
        let (lines, keys) = rules.lines(text);
        (
            rules.cuts_skipping(text, None, &lines, &keys, true),
            rules.cuts_skipping(text, None, &lines, &keys, false),
        )
    }

    /// Every text of the development corpora (arabic_news, news_pairs) and the
    /// seeds is cut alike with and without the skipped reruns.
    #[test]
    #[allow(clippy::print_stderr)] // say why the test checked nothing
    fn skipping_reruns_changes_no_cut_on_real_pages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let shared = std::env::var_os("GHIRBAL_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root.join("../shared"));
        if !shared.is_dir() {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "{} is missing, and CI=true requires it",
                shared.display()
            );
            eprintln!("skipping: {} not found", shared.display());
            return;
        }
        let mut texts: Vec<String> = Vec::new();
        for dir in ["corpora/arabic_news", "corpora/news_pairs"] {
            for entry in std::fs::read_dir(shared.join(dir)).unwrap().flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|x| x != "jsonl") {
                    continue;
                }
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    let Ok(serde_json::Value::Object(record)) = serde_json::from_str(line) else {
                        continue;
                    };
                    texts.extend(record.iter().filter_map(|(k, v)| {
                        k.starts_with("text")
                            .then(|| v.as_str())
                            .flatten()
                            .map(str::to_owned)
                    }));
                }
            }
        }
        for entry in std::fs::read_dir(root.join("corpora/seeds"))
            .unwrap()
            .flatten()
        {
            texts.push(std::fs::read_to_string(entry.path()).unwrap());
        }
        assert!(texts.len() > 2000, "{} texts", texts.len());
        for rules in rule_sets() {
            for text in &texts {
                let (skipping, every) = with_and_without_skips(rules, text);
                assert_eq!(skipping, every, "{text}");
            }
        }
    }

    proptest::proptest! {
        // Short pages are quick, and a rerun that matters needs a few lines
        // in a given order.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Pages made of the lines each edge rule cuts, next to paragraphs and
        /// to each other, in any order: every rerun skipped would cut nothing.
        #[test]
        fn skipping_reruns_changes_no_cut(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                // paragraphs, a lede, a continuation, short lines
                "وقال المتحدث باسم الوزارة إن الاجتماع تناول عددا من الملفات المهمة في المنطقة اليوم.",
                "أعلنت وزارة الصحة اليوم عن تسجيل حالات جديدة في عدد من مناطق المملكة خلال الأسبوع الماضي",
                "وأضاف أن الوزارة ستواصل متابعة الحالات في جميع المناطق خلال الأيام المقبلة بالتنسيق مع الجهات",
                "The minister said the meeting covered a number of important files today.",
                "عنوان قصير",
                "الرياض",
                // comments
                "التعليقات",
                "محمد : تعليق قصير جدا هنا",
                "الموضوع :",
                // related blocks, read-more, author archive
                "أخبار متعلقة",
                "اقرأ المزيد",
                "وزير الخارجية يلتقي نظيره الفرنسي في باريس",
                "ارتفاع أسعار النفط في الأسواق العالمية",
                "انتهى المقال هنا. مقالات أخرى للكاتب عنوان أول عنوان ثان",
                // bylines, datelines, credits, a glued byline
                "محمد علي – الرياض",
                "الرياض - الأحد 12 مارس 2015 م",
                "*نقلا عن الشرق الأوسط",
                "محمد علي- سبق- الرياض: أعلنت وزارة الصحة اليوم عن تسجيل حالات جديدة",
                // navigation, widgets, tags
                "سوريا - لبنان - فلسطين",
                "الرئيسية > أخبار",
                "الأكثر قراءة",
                "انتهى الخبر بجملة كاملة. سمات الرياض الصحة",
                // caption, signature, disclaimers, share bars, app promos
                "صورة أرشيفية",
                "وزير الخارجية",
                "سبق",
                "جميع الحقوق محفوظة",
                "جميع الحقوق محفوظة لموقع الصحيفة 2015.",
                "*المقالات تعبر عن رأي كاتبها",
                "فيسبوك تويتر واتساب",
                "تابعونا على فيسبوك وتويتر للمزيد من الأخبار.",
                "حمل تطبيق الصحيفة الآن",
                // sign-offs, separators
                "// انتهى //",
                "-----",
            ]), 0..18),
            set in 0..4usize,
        ) {
            let text = lines.join("\n");
            let (skipping, every) = with_and_without_skips(&rule_sets()[set], &text);
            proptest::prop_assert_eq!(skipping, every, "{}", text);
        }
    }

    /// Lines of a page for the property tests: text, chrome the rules cut,
    /// blank lines; and `extra`.
    /// Whether byte `i` of `text` starts a line: the text's start or just after a break.
    fn starts_a_line(text: &str, i: usize) -> bool {
        i == 0 || text[..i].ends_with(['\n', '\r', PARAGRAPH.chars().next().unwrap()])
    }

    fn page_lines(extra: &[&'static str]) -> Vec<&'static str> {
        let mut lines = vec![
            "وقال المتحدث باسم الوزارة إن الاجتماع تناول عددا من الملفات المهمة",
            "اقرأ المزيد",
            "// انتهى //",
            "التعليقات",
            "محمد : تعليق قصير جدا هنا",
            "",
            "   ",
            "http://example.com/a/b",
            "سوريا - لبنان - فلسطين",
        ];
        lines.extend_from_slice(extra);
        lines
    }

    proptest::proptest! {
        #[test]
        fn surely_more_tokens_equals_its_byte_by_byte_definition(
            s in "([ \t\n\r\x0b\x0c]|[a-zA-Z0-9@`\\[{_/:.-]|[\u{0600}-\u{06FF}]|[\u{0700}-\u{07FF}]|[\u{80}-\u{5FF}]|\u{3000}|\u{2003}|[\u{10000}-\u{10010}]){0,70}",
        ) {
            let real = tokens_by_bytes(&s);
            for n in 0..real + 2 {
                proptest::prop_assert_eq!(surely_more_tokens(&s, n), real > n, "{:?} n={}", s, n);
            }
        }

        #[test]
        fn passages_are_whole_lines_apart_from_the_cuts(
            lines in proptest::collection::vec(proptest::sample::select(page_lines(&[
                "وأَضافَ أنّ الاجتماعَ تناول عدداً من الملفات المهمة في المنطقة\r",
                "The minister said the meeting covered a number of important files today.",
            ])), 0..14),
        ) {
            let rules = RuleSet::new(&CleanConfig::default()).unwrap();
            let text = lines.join("\n");
            let (cuts, passages) = rules.cuts_and_passages(&text, None, 20);
            proptest::prop_assert_eq!(&cuts, &rules.cuts(&text, None));
            let mut spans: Vec<(usize, usize)> = cuts.iter().map(|c| (c.start, c.end)).collect();
            for p in &passages {
                proptest::prop_assert!(starts_a_line(&text, p.start));
                proptest::prop_assert!(text.is_char_boundary(p.end));
                let key = crate::normalize::Normalizer::new(
                    &crate::normalize::NormalizeConfig::profile(crate::normalize::Profile::Key),
                ).unwrap().normalize(&text[p.start..p.end]).into_owned();
                proptest::prop_assert!(boilerplate::line_chars(key.trim()) >= 20, "{:?}", key);
                spans.push((p.start, p.end));
            }
            spans.sort_unstable();
            for w in spans.windows(2) {
                proptest::prop_assert!(w[0].1 <= w[1].0, "{:?} in {:?}", spans, text);
            }
        }

        #[test]
        fn split_lines_is_split_at_newlines_lone_carriage_returns_and_paragraph_separators(
            s in "[a\n\r\u{0627}\u{2029}\u{2028}\u{201C} ]{0,40}",
        ) {
            let ours: Vec<(usize, &str)> = split_lines(&s, has_paragraph_breaks(&s)).collect();
            let lines: Vec<&str> = ours.iter().map(|&(_, l)| l).collect();
            let lf = s.replace("\r\n", "\u{1}").replace(['\r', '\u{2029}'], "\n").replace('\u{1}', "\r\n");
            let theirs: Vec<&str> = lf.split('\n').map(|l| l.strip_suffix('\r').map_or(l, |l| l)).collect();
            let ours_trimmed: Vec<&str> = lines.iter().map(|l| l.strip_suffix('\r').map_or(*l, |l| l)).collect();
            proptest::prop_assert_eq!(ours_trimmed, theirs);
            for &(start, line) in &ours {
                // Each line is where it says, after a break (or at the start).
                proptest::prop_assert_eq!(&s[start..start + line.len()], line);
                proptest::prop_assert!(starts_a_line(&s, start));
            }
        }

        /// A text whose paragraphs are separated by U+2029 is cut as the same
        /// text with `\n`: the same rules cut the same lines and the same
        /// passages are left, at offsets shifted by the longer breaks.
        #[test]
        fn paragraph_separators_are_cut_as_newlines(
            lines in proptest::collection::vec(
                proptest::sample::select(page_lines(&["pic.twitter.com/WLSvVRzrxX", "“اقتباس” — نص"])),
                0..14,
            ),
        ) {
            let rules = RuleSet::new(&CleanConfig::default()).unwrap();
            let lf = lines.join("\n");
            let ps = lines.join("\u{2029}");
            let ((cuts, passages), (cuts_ps, passages_ps)) =
                (rules.cuts_and_passages(&lf, None, 20), rules.cuts_and_passages(&ps, None, 20));
            let as_lf = |t: &str| t.replace('\u{2029}', "\n");
            let rule_and_text = |text: &str, c: &[Cut]| -> Vec<(&'static str, String)> {
                c.iter().map(|c| (c.rule, as_lf(&text[c.start..c.end]))).collect()
            };
            proptest::prop_assert_eq!(rule_and_text(&ps, &cuts_ps), rule_and_text(&lf, &cuts));
            let texts = |text: &str, p: &[Passage]| -> Vec<String> {
                p.iter().map(|p| as_lf(&text[p.start..p.end])).collect()
            };
            proptest::prop_assert_eq!(texts(&ps, &passages_ps), texts(&lf, &passages));
            proptest::prop_assert_eq!(as_lf(&super::super::apply(&ps, &cuts_ps)), super::super::apply(&lf, &cuts));
            proptest::prop_assert_eq!(rules.line_hashes(&ps, 5), rules.line_hashes(&lf, 5));
        }

        /// A text whose line breaks are lone `\r` is cut as the same text with
        /// `\n`, at the same offsets, passages and fused key alike.
        #[test]
        fn lone_carriage_returns_are_cut_as_newlines(
            lines in proptest::collection::vec(
                proptest::sample::select(page_lines(&["pic.twitter.com/WLSvVRzrxX"])),
                0..14,
            ),
        ) {
            let rules = RuleSet::new(&CleanConfig::default()).unwrap();
            let lf = lines.join("\n");
            let cr = lines.join("\r");
            let (cuts, passages) = rules.cuts_and_passages(&lf, None, 20);
            proptest::prop_assert_eq!(rules.cuts_and_passages(&cr, None, 20), (cuts, passages));
            proptest::prop_assert_eq!(rules.line_hashes(&cr, 5), rules.line_hashes(&lf, 5));
        }
    }
}
