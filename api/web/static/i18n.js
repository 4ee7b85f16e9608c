// Chinese first, English on request. Every label of the pages is here, in both languages.

const KEY = "genekb.lang";

const TEXT = {
  zh: {
    "title": "genekb · 基因与药物知识库",
    "nav.feed": "为你推荐", "nav.editor": "编辑", "nav.login": "登录", "nav.logout": "退出",
    "lang.switch": "EN", "lang.label": "Switch to English",
    "search.placeholder": "输入基因、肿瘤或药物，如 EGFR T790M 奥希替尼", "search.go": "搜索",
    "search.label": "检索", "search.suggestions": "联想词",
    "home.hint": "输入基因、变异、肿瘤或药物，中英文均可。", "home.examples": "示例",
    "home.new": "为你推荐的新内容",
    "type.gene": "基因", "type.variant": "变异", "type.tumor": "肿瘤", "type.drug": "药物",
    "type.drug_class": "药物类别", "type.intent": "检索意图", "concepts.members": "含 {n} 种药物",
    "intent.resistance": "耐药", "intent.sensitivity": "疗效/敏感", "intent.prognosis": "预后",
    "intent.diagnosis": "诊断", "intent.germline": "胚系/遗传",
    "concepts.title": "检索词解析", "concepts.none": "未识别出基因、肿瘤或药物。",
    "concepts.unresolved": "未识别", "concepts.ambiguous": "有歧义，请选择：", "concepts.implied": "由 {by} 推断",
    "concepts.alias": "{matched} → {id}",
    "match.fuzzy": "拼写纠正", "match.fullwidth": "全角", "match.traditional": "繁体", "match.split": "拆分",
    "match.pinyin": "拼音", "match.homophone": "同音字",
    "evidence.title": "循证证据", "evidence.none": "没有找到相关证据。", "evidence.count": "共 {n} 条",
    "evidence.level": "级别", "evidence.variant": "基因/变异", "evidence.tumor": "肿瘤", "evidence.drugs": "药物",
    "evidence.significance": "临床意义", "evidence.pmids": "文献", "evidence.statement": "证据说明",
    "evidence.not": "不支持", "evidence.date": "更新日期",
    "summary.count": "共 {n} 条临床结论（{items} 条证据）", "summary.support": "证据", "summary.items": "{n} 条证据",
    "summary.items.title": "证据条目", "summary.agree": "结论一致",
    "summary.mixed": "结论不一：支持 {yes} · 不支持 {no}", "summary.mixedHint": "各条证据方向不一致，请展开查看",
    "summary.reviewed": "更新于 {date}", "summary.open": "展开 {n} 条", "summary.close": "收起",
    "summary.shown": "显示 {n} / {of} 条",
    "relation.exact": "本瘤种", "relation.family": "相关瘤种", "relation.other": "其他瘤种",
    "assertion.ampLevel": "AMP {tier}类 {level}级", "assertion.amp": "AMP {tier}类", "assertion.nccn": "NCCN指南",
    "assertion.approved": "FDA批准", "assertion.cdx": "FDA伴随诊断",
    "empty.title": "未能识别", "empty.didYouMean": "您是不是要找：",
    "empty.hint": "“{q}”中没有识别出基因、变异、肿瘤、药物或生物标志物，因此不给出证据、文献和检测项目。",
    "empty.none": "没有相近的词。请检查拼写，或使用基因、药物、肿瘤的中文或英文名称。",
    "filter.label": "筛选证据", "filter.type": "证据类型", "filter.allTypes": "全部类型",
    "filter.significance": "临床意义", "filter.allSignificance": "全部临床意义", "filter.tumor": "肿瘤", "filter.allTumors": "全部肿瘤",
    "articles.title": "相关文献", "articles.none": "没有找到相关文献。", "articles.count": "共 {n} 篇",
    "tests.title": "本公司检测项目", "tests.note": "以下为本公司产品推荐，并非循证证据。",
    "tests.none": "暂无匹配的检测项目。", "tests.genes": "检测基因", "tests.reason": "推荐理由",
    "page.prev": "上一页", "page.next": "下一页", "page.of": "第 {page} 页",
    "loading": "加载中…", "error": "出错了：{message}", "notfound": "未找到：{what}",
    "gene.aliases": "别名", "gene.previous": "曾用名", "gene.evidence": "证据 {n} 条",
    "gene.articles": "文献 {n} 篇", "gene.articlesCapped": "文献 {n} 篇以上",
    "tumor.parent": "上级分类", "tumor.children": "下级分类", "tumor.synonyms": "同义词", "tumor.tissue": "组织",
    "drug.brands": "商品名", "drug.synonyms": "同义词", "drug.targets": "相关基因", "drug.members": "组成",
    "entity.search": "检索相关文献与证据", "entity.atom": "订阅更新（Atom）",
    "type.biomarker": "生物标志物", "biomarker.definition": "定义", "biomarker.cutoffs": "阈值",
    "biomarker.genes": "相关基因", "biomarker.synonyms": "别名", "biomarker.source": "定义来源",
    "biomarker.evidence": "证据 {n} 条", "tests.biomarkers": "检测指标",
    "follow": "关注", "following": "已关注", "unfollow": "取消关注", "follow.login": "登录后可关注",
    "article.abstract": "摘要", "article.mesh": "MeSH 主题词", "article.concepts": "识别的概念",
    "article.pubmed": "在 PubMed 查看", "article.back": "返回", "article.missing": "本库尚未收录这篇文献。", "article.entered": "PubMed 收录于",
    "feed.title": "为你推荐", "feed.follows": "我的关注", "feed.none": "还没有关注的主题。在基因、肿瘤或药物页面点击“关注”。",
    "feed.empty": "暂无新内容。", "feed.evidence": "新证据", "feed.article": "新文献", "feed.login": "请先登录。",
    "feed.subscribe": "订阅（Atom）", "feed.subscribe.hint": "用阅读器订阅“为你推荐”：生成你的私人订阅链接。",
    "feed.subscribe.make": "生成新的订阅链接", "feed.subscribe.revoke": "撤销订阅链接", "feed.subscribe.url": "订阅链接",
    "feed.subscribe.once": "链接只显示这一次，请勿分享；再次生成会使旧链接失效。", "feed.subscribe.revoked": "订阅链接已撤销。",
    "login.title": "登录", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
    "login.failed": "登录失败：{message}",
    "editor.title": "编辑工作台", "editor.queue": "审核队列", "editor.drafts": "草稿", "editor.edit": "编辑条目",
    "editor.gaps": "内容缺口", "editor.none": "队列为空。", "editor.kind": "类型", "editor.key": "条目",
    "editor.reason": "修改理由", "editor.author": "作者", "editor.updated": "更新时间", "editor.state": "状态",
    "editor.open": "打开", "editor.load": "载入", "editor.new": "新建",
    "editor.field": "字段", "editor.before": "当前发布版本", "editor.after": "提议修改",
    "editor.comment": "审核意见", "editor.accept": "接受并发布", "editor.reject": "驳回",
    "editor.submit": "提交审核", "editor.save": "保存草稿", "editor.comments": "讨论", "editor.addComment": "添加评论",
    "editor.accepted": "已发布", "editor.rejected": "已驳回", "editor.submitted": "待审核", "editor.draft": "草稿",
    "editor.saved": "已保存为第 {id} 号修改。", "editor.forbidden": "需要编辑权限，请用编辑账号登录。",
    "editor.nodiff": "与当前发布版本相同。", "editor.lines": "每行一个", "editor.json": "JSON",
    "gaps.zero": "无结果的检索", "gaps.top": "检索最多的概念", "gaps.unresolved": "未能识别的词",
    "gaps.min": "只列出至少 {n} 位医生检索过的词（保护个人隐私）。", "gaps.query": "检索词", "gaps.count": "次数",
    "kind.evidence": "证据", "kind.test": "检测项目", "kind.gene": "基因", "kind.tumor": "肿瘤", "kind.drug": "药物",
    "level.A": "A 级：已验证", "level.B": "B 级：临床证据", "level.C": "C 级：病例报告",
    "level.D": "D 级：临床前", "level.E": "E 级：推断",
    "etype.predictive": "疗效预测", "etype.diagnostic": "诊断", "etype.prognostic": "预后",
    "etype.predisposing": "遗传易感", "etype.oncogenic": "致癌性", "etype.functional": "功能",
    "sig.sensitivity": "敏感", "sig.resistance": "耐药", "sig.reduced_sensitivity": "敏感性降低",
    "sig.adverse_response": "不良反应", "sig.poor_outcome": "预后较差", "sig.better_outcome": "预后较好",
    "sig.positive": "阳性", "sig.negative": "阴性", "sig.pathogenic": "致病", "sig.likely_pathogenic": "可能致病",
    "sig.uncertain_significance": "意义未明", "sig.na": "—", "sig.gain_of_function": "功能获得",
    "sig.loss_of_function": "功能丧失", "sig.neomorphic": "新功能", "sig.dominant_negative": "显性负效应",
    "footer": "genekb 仅供专业人员参考，不能替代临床判断。检测项目为本公司产品信息，与文献证据分开展示。",
  },
  en: {
    "title": "genekb · gene and drug knowledge base",
    "nav.feed": "New for you", "nav.editor": "Editor", "nav.login": "Sign in", "nav.logout": "Sign out",
    "lang.switch": "中文", "lang.label": "切换到中文",
    "search.placeholder": "Gene, tumor or drug, e.g. EGFR T790M osimertinib", "search.go": "Search",
    "search.label": "Search", "search.suggestions": "Suggestions",
    "home.hint": "Type genes, variants, tumors or drugs, in Chinese or English.", "home.examples": "Examples",
    "home.new": "New for you",
    "type.gene": "Gene", "type.variant": "Variant", "type.tumor": "Tumor", "type.drug": "Drug",
    "type.drug_class": "Drug class", "type.intent": "Asking about", "concepts.members": "{n} drugs",
    "intent.resistance": "Resistance", "intent.sensitivity": "Response / treatment", "intent.prognosis": "Prognosis",
    "intent.diagnosis": "Diagnosis", "intent.germline": "Germline / hereditary",
    "concepts.title": "Your keywords mean", "concepts.none": "No gene, tumor or drug recognised.",
    "concepts.unresolved": "Not recognised", "concepts.ambiguous": "Ambiguous, choose:", "concepts.implied": "implied by {by}",
    "concepts.alias": "{matched} → {id}",
    "match.fuzzy": "typo", "match.fullwidth": "full-width", "match.traditional": "traditional", "match.split": "split",
    "match.pinyin": "pinyin", "match.homophone": "homophone",
    "evidence.title": "Curated evidence", "evidence.none": "No evidence found.", "evidence.count": "{n} items",
    "evidence.level": "Level", "evidence.variant": "Gene / variant", "evidence.tumor": "Tumor", "evidence.drugs": "Drugs",
    "evidence.significance": "Significance", "evidence.pmids": "PMIDs", "evidence.statement": "Statement",
    "evidence.not": "does not support", "evidence.date": "Reviewed",
    "summary.count": "{n} clinical statements ({items} evidence items)", "summary.support": "Evidence", "summary.items": "{n} items",
    "summary.items.title": "Items", "summary.agree": "agree",
    "summary.mixed": "mixed: {yes} support · {no} do not", "summary.mixedHint": "The items point different ways; open them to see each",
    "summary.reviewed": "reviewed {date}", "summary.open": "Show {n}", "summary.close": "Hide",
    "summary.shown": "showing {n} of {of}",
    "relation.exact": "this tumor", "relation.family": "related tumor", "relation.other": "other tumor",
    "assertion.ampLevel": "AMP Tier {tier}-{level}", "assertion.amp": "AMP Tier {tier}", "assertion.nccn": "NCCN guideline",
    "assertion.approved": "FDA approved", "assertion.cdx": "FDA companion test",
    "empty.title": "Not understood", "empty.didYouMean": "Did you mean:",
    "empty.hint": "Nothing in “{q}” was recognised as a gene, variant, tumor, drug or biomarker, so no evidence, literature or tests are shown.",
    "empty.none": "Nothing close. Check the spelling, or use a gene, drug or tumor name in Chinese or English.",
    "filter.label": "Filter evidence", "filter.type": "Evidence type", "filter.allTypes": "All types",
    "filter.significance": "Significance", "filter.allSignificance": "All significances", "filter.tumor": "Tumor", "filter.allTumors": "All tumors",
    "articles.title": "Literature", "articles.none": "No articles found.", "articles.count": "{n} articles",
    "tests.title": "Our company's tests (本公司检测项目)", "tests.note": "Product suggestions from our catalogue, not evidence.",
    "tests.none": "No matching test.", "tests.genes": "Genes", "tests.reason": "Why",
    "page.prev": "Previous", "page.next": "Next", "page.of": "Page {page}",
    "loading": "Loading…", "error": "Something went wrong: {message}", "notfound": "Not found: {what}",
    "gene.aliases": "Aliases", "gene.previous": "Previous symbols", "gene.evidence": "{n} evidence items",
    "gene.articles": "{n} articles", "gene.articlesCapped": "{n}+ articles",
    "tumor.parent": "Parent", "tumor.children": "Subtypes", "tumor.synonyms": "Synonyms", "tumor.tissue": "Tissue",
    "drug.brands": "Brands", "drug.synonyms": "Synonyms", "drug.targets": "Genes", "drug.members": "Components",
    "entity.search": "Search literature and evidence", "entity.atom": "Updates (Atom feed)",
    "type.biomarker": "Biomarker", "biomarker.definition": "Definition", "biomarker.cutoffs": "Cut-offs",
    "biomarker.genes": "Related genes", "biomarker.synonyms": "Synonyms", "biomarker.source": "Source",
    "biomarker.evidence": "{n} evidence items", "tests.biomarkers": "Biomarkers",
    "follow": "Follow", "following": "Following", "unfollow": "Unfollow", "follow.login": "Sign in to follow",
    "article.abstract": "Abstract", "article.mesh": "MeSH terms", "article.concepts": "Concepts found",
    "article.pubmed": "View on PubMed", "article.back": "Back", "article.missing": "This article is not in the library yet.", "article.entered": "entered PubMed",
    "feed.title": "New for you", "feed.follows": "Following", "feed.none": "You follow nothing yet. Use Follow on a gene, tumor or drug page.",
    "feed.empty": "Nothing new yet.", "feed.evidence": "New evidence", "feed.article": "New article", "feed.login": "Please sign in first.",
    "feed.subscribe": "Subscribe (Atom)", "feed.subscribe.hint": "Read \"New for you\" in a feed reader: make your private feed URL.",
    "feed.subscribe.make": "Make a new feed URL", "feed.subscribe.revoke": "Revoke the feed URL", "feed.subscribe.url": "Feed URL",
    "feed.subscribe.once": "Shown this once; keep it private. Making a new one ends the old one.", "feed.subscribe.revoked": "The feed URL is revoked.",
    "login.title": "Sign in", "login.username": "User name", "login.password": "Password", "login.submit": "Sign in",
    "login.failed": "Sign-in failed: {message}",
    "editor.title": "Editor", "editor.queue": "Review queue", "editor.drafts": "Drafts", "editor.edit": "Edit an entry",
    "editor.gaps": "Content gaps", "editor.none": "The queue is empty.", "editor.kind": "Kind", "editor.key": "Entry",
    "editor.reason": "Reason", "editor.author": "Author", "editor.updated": "Updated", "editor.state": "State",
    "editor.open": "Open", "editor.load": "Load", "editor.new": "New",
    "editor.field": "Field", "editor.before": "Published", "editor.after": "Proposed",
    "editor.comment": "Review comment", "editor.accept": "Accept and publish", "editor.reject": "Reject",
    "editor.submit": "Submit for review", "editor.save": "Save draft", "editor.comments": "Discussion", "editor.addComment": "Add comment",
    "editor.accepted": "Published", "editor.rejected": "Rejected", "editor.submitted": "Awaiting review", "editor.draft": "Draft",
    "editor.saved": "Saved as change {id}.", "editor.forbidden": "This needs an editor account; please sign in as one.",
    "editor.nodiff": "Same as the published version.", "editor.lines": "one per line", "editor.json": "JSON",
    "gaps.zero": "Queries with no result", "gaps.top": "Most searched concepts", "gaps.unresolved": "Words not understood",
    "gaps.min": "Only terms searched by at least {n} doctors are listed (privacy).", "gaps.query": "Query", "gaps.count": "Count",
    "kind.evidence": "Evidence", "kind.test": "Test item", "kind.gene": "Gene", "kind.tumor": "Tumor", "kind.drug": "Drug",
    "level.A": "A: validated", "level.B": "B: clinical", "level.C": "C: case study",
    "level.D": "D: preclinical", "level.E": "E: inferential",
    "etype.predictive": "Predictive", "etype.diagnostic": "Diagnostic", "etype.prognostic": "Prognostic",
    "etype.predisposing": "Predisposing", "etype.oncogenic": "Oncogenic", "etype.functional": "Functional",
    "footer": "genekb is for health professionals and does not replace clinical judgement. Test items are our company's products, shown apart from the evidence.",
  },
};

export function lang() {
  const chosen = localStorage.getItem(KEY);
  return chosen === "en" ? "en" : "zh";
}

export function setLang(value) {
  localStorage.setItem(KEY, value);
  applyShell();
}

// t("evidence.count", {n: 3}); English falls back to the key's tail (sig.poor_outcome -> "poor outcome").
export function t(key, vars = {}) {
  const table = TEXT[lang()];
  let text = table[key] ?? TEXT.zh[key] ?? key;
  if (lang() === "en" && table[key] === undefined && key.includes(".")) text = key.split(".").pop().replaceAll("_", " ");
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// The label of a record in the page's language: label_zh / name_zh when Chinese and present.
export function label(record, en = "label", zh = `${en}_zh`) {
  return lang() === "zh" && record[zh] ? record[zh] : record[en];
}

// Texts of the HTML shell (header, search box, footer) carry data-i18n attributes.
export function applyShell() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}
