"""Every sentence the engine says to a user, in Arabic and English."""

from __future__ import annotations

from rag.arabic import Language

MESSAGES: dict[str, dict[Language, str]] = {
    "empty_question": {
        "en": "Please type a question.",
        "ar": "من فضلك اكتب سؤالاً.",
    },
    "question_too_long": {
        "en": "The question is too long ({length} characters); please keep it under {limit}.",
        "ar": "السؤال طويل جداً ({length} حرفاً)؛ يرجى ألا يتجاوز {limit} حرف.",
    },
    "control_characters": {
        "en": "The question contains control characters; please type it as plain text.",
        "ar": "يحتوي السؤال على رموز تحكم؛ يرجى كتابته كنص عادي.",
    },
    "markup": {
        "en": "The question contains markup (HTML or a Markdown link/image); please ask in plain text.",
        "ar": "يحتوي السؤال على وسوم (HTML أو رابط/صورة Markdown)؛ يرجى طرح السؤال كنص عادي.",
    },
    "invalid_characters": {
        "en": "The question contains characters that are not valid text (a broken encoding); please type it again.",
        "ar": "يحتوي السؤال على رموز ليست نصاً صالحاً (ترميز تالف)؛ يرجى كتابته من جديد.",
    },
    "no_words": {
        "en": "The question has no words (only invisible marks, symbols or emoji); please type a question.",
        "ar": "لا يحتوي السؤال على كلمات (علامات غير مرئية أو رموز أو وجوه تعبيرية فقط)؛ يرجى كتابة سؤال.",
    },
    "build_in_progress": {
        "en": "Another build of the index in {store} is running; try again when it has finished.",
        "ar": "يجري بناء آخر للفهرس في {store}؛ حاول مرة أخرى بعد انتهائه.",
    },
    "store_not_writable": {
        "en": "The index folder {store} cannot be written ({detail}); the previous index is unchanged.",
        "ar": "لا يمكن الكتابة في مجلد الفهرس {store} ({detail})؛ الفهرس السابق لم يتغير.",
    },
    "store_full": {
        "en": "Not enough disk space for the index in {store} ({free} free); the previous index is unchanged.",
        "ar": "لا توجد مساحة كافية على القرص للفهرس في {store} (المتاح {free})؛ الفهرس السابق لم يتغير.",
    },
    "interrupted": {
        "en": "Interrupted; the previous index is unchanged.",
        "ar": "أُوقف التنفيذ؛ الفهرس السابق لم يتغير.",
    },
    "abstain": {
        "en": "The articles don't answer this question.",
        "ar": "لا تتضمن المقالات إجابة عن هذا السؤال.",
    },
    "answer_lead": {
        "en": "According to the articles:",
        "ar": "بحسب المقالات:",
    },
    "answer_lead_quoted": {
        "en": "According to the articles (quoted in their own language):",
        "ar": "بحسب المقالات (مقتبسة بلغتها الأصلية):",
    },
    "written_by": {
        "en": "Written by {model}, checked against the cited passages",
        "ar": "كتبها {model}، وتم التحقق منها مقابل المقاطع المذكورة",
    },
    "quoted_badge": {
        "en": "Quoted from the articles",
        "ar": "مقتبسة من المقالات",
    },
    "llm_not_configured": {
        "en": "No language model server is set (RAG_LLM_URL), so the answer quotes the articles.",
        "ar": "لم يُضبط خادم نموذج لغوي (RAG_LLM_URL)، لذا تقتبس الإجابة من المقالات.",
    },
    "llm_unreachable": {
        "en": "The language model server could not be reached, so the answer quotes the articles.",
        "ar": "تعذر الوصول إلى خادم النموذج اللغوي، لذا تقتبس الإجابة من المقالات.",
    },
    "llm_timeout": {
        "en": "The language model took longer than {seconds:g} s, so the answer quotes the articles.",
        "ar": "استغرق النموذج اللغوي أكثر من {seconds:g} ثانية، لذا تقتبس الإجابة من المقالات.",
    },
    "llm_bad_reply": {
        "en": "The language model server sent a reply that is not an answer, so the answer quotes the articles.",
        "ar": "أرسل خادم النموذج اللغوي رداً ليس إجابة، لذا تقتبس الإجابة من المقالات.",
    },
    "llm_nothing_supported": {
        "en": "The cited passages support none of the model's sentences, so the answer quotes the articles.",
        "ar": "لا تدعم المقاطع المذكورة أياً من جمل النموذج، لذا تقتبس الإجابة من المقالات.",
    },
    "llm_some_dropped": {
        "en": "{count} of the model's sentences were left out: the passages they cite do not support them.",
        "ar": "حُذفت {count} من جمل النموذج لأن المقاطع التي تستشهد بها لا تدعمها.",
    },
    "upload_type": {
        "en": "{name}: this kind of file cannot be added (supported: {detail}).",
        "ar": "{name}: لا يمكن إضافة هذا النوع من الملفات (المدعوم: {detail}).",
    },
    "upload_bad_id": {
        "en": "{name}: the file name cannot be an article id (use letters, digits, _ - or . and no leading dot).",
        "ar": "{name}: لا يصلح اسم الملف معرّفاً للمقال (استخدم حروفاً وأرقاماً و_ - . دون نقطة في أوله).",
    },
    "upload_too_large": {
        "en": "{name}: the file is too large ({detail}).",
        "ar": "{name}: الملف كبير جداً ({detail}).",
    },
    "upload_not_utf8": {
        "en": "{name}: the file is not UTF-8 text.",
        "ar": "{name}: الملف ليس نصاً بترميز UTF-8.",
    },
    "upload_bad_pdf": {
        "en": "{name}: the PDF could not be read ({detail}).",
        "ar": "{name}: تعذرت قراءة ملف PDF ({detail}).",
    },
    "upload_pdf_no_text": {
        "en": "{name}: the PDF has no text layer (a scanned document?).",
        "ar": "{name}: لا يحتوي ملف PDF على نص (مستند ممسوح ضوئياً؟).",
    },
    "upload_empty": {
        "en": "{name}: no article text is left after cleaning.",
        "ar": "{name}: لم يبقَ نص للمقال بعد التنظيف.",
    },
    "upload_id_taken": {
        "en": "{name}: an article with this id already exists; rename the file or replace the article.",
        "ar": "{name}: يوجد مقال بهذا المعرّف؛ غيّر اسم الملف أو استبدل المقال.",
    },
    "upload_duplicate": {
        "en": "{name}: another file of this upload has the same article id.",
        "ar": "{name}: ملف آخر في هذا الرفع يحمل معرّف المقال نفسه.",
    },
    "article_not_found": {
        "en": "{name}: no such article.",
        "ar": "{name}: لا يوجد مقال بهذا المعرّف.",
    },
    "last_article": {
        "en": "{name}: the last article cannot be removed; add another one first.",
        "ar": "{name}: لا يمكن حذف المقال الأخير؛ أضف مقالاً آخر أولاً.",
    },
    "writes_off": {
        "en": "Adding and removing articles is turned off on this server.",
        "ar": "إضافة المقالات وحذفها معطّلة على هذا الخادم.",
    },
}


def message(key: str, language: Language, **values: object) -> str:
    return MESSAGES[key][language].format(**values)


def one_line(key: str, language: Language | None, **values: object) -> str:
    """The message in ``language``, or both languages on one line when it is unknown."""
    if language is None:
        return f"{message(key, 'en', **values)} · {message(key, 'ar', **values)}"
    return message(key, language, **values)


def bilingual(key: str, **values: object) -> str:
    """Both languages, English first, for when the user's language is unknown."""
    return f"{message(key, 'en', **values)}\n{message(key, 'ar', **values)}"
