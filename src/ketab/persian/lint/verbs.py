"""Common Persian verb stems: enough to tell «می شود» (a verb: write «می‌شود») from «می ناب» (wine).

The list is deliberately closed: a word is taken for a verb only when it is one of these stems with a
personal ending, so the fixer never joins «می» to a noun.  Stems are shared by Iranian Persian and Dari.
"""

from __future__ import annotations

import re

PRESENT_STEMS = (
    "کن شو باش گرد گردان دان خواه توان گو گوی رو آ آی ده گیر زن یاب بین آور نویس خوان ساز پرداز رس رسان "
    "مان کش بر دار پذیر گذار گذر افت انداز فرست پرس نشین خیز جو جوی سوز ریز بند شناس فروش خر "
    "خور ترس پوش آموز کوش گرای نگر شمار کاه افزا افزای زی نما نمای گشا گشای ایست دو دوان جنگ خند "
    "گری شنو شنا چرخ لرز پر پا پای ران کوب پیچ تاب تاز چین دوز رقص کار کاو گوار بخش بوس پاش "
    "پز پوی تراش ترک جنب جه چسب چش خراش خسب خواب خیس دم رب رنج روب ریس ساب سپار ستا ستان "
    "سر سرا سرای شکن شور فرما فرمای فریب فهم کوچ گریز گزین گسل لغز لیس مال مک نال نه "
    "نواز وز هراس پسند آرا آرای آزما آزمای آسا آمیز آویز ارز افروز اندیش انگیز بار باز باف بخشا"
).split()

PAST_STEMS = (
    "کرد شد بود گشت گردید گرداند دانست خواست توانست گفت رفت آمد داد گرفت زد یافت دید آورد نوشت "
    "خواند ساخت پرداخت رسید رساند ماند کشید برد داشت پذیرفت گذاشت گذشت افتاد انداخت فرستاد پرسید "
    "نشست خاست جست سوخت ریخت بست شناخت فروخت خرید خورد ترسید پوشید آموخت کوشید گرایید نگریست "
    "شمرد کاست افزود زیست نمود گشود ایستاد دوید جنگید خندید گریست شنید چرخید لرزید پرید "
    "راند کوبید پیچید تابید تاخت چید دوخت رقصید کاوید بخشید بوسید پاشید پخت پویید تراشید ترکید "
    "جنبید جهید چسبید چشید خراشید خفت خوابید دمید ربود رنجید روبید ریسید سایید سپرد ستود ستاند "
    "سرود شکست شورید فرمود فریفت فهمید کوچید گریخت گزید گسست لغزید لیسید مالید مکید نالید نهاد "
    "نواخت وزید هراسید پسندید آراست آزمود آسود آمیخت آویخت ارزید افروخت اندیشید انگیخت بارید "
    "باخت بافت"
).split()

_PRESENT_ENDINGS = "(?:ی?(?:م|ی|د|یم|ید|ند))"
_PAST_ENDINGS = "(?:م|ی|یم|ید|ند)?"

VERB_FORM = re.compile(
    "(?:"
    + "|".join(sorted((re.escape(s) for s in PRESENT_STEMS), key=len, reverse=True))
    + ")"
    + _PRESENT_ENDINGS
    + "|(?:"
    + "|".join(sorted((re.escape(s) for s in PAST_STEMS), key=len, reverse=True))
    + ")"
    + _PAST_ENDINGS
)

# Joined «می…» words that are also nouns («میدانی»: a square, or: you know): never flagged when joined.
AMBIGUOUS_JOINED = frozenset({"میدانی", "میدانم", "میدانت", "میدانش", "میدانیم", "میدانید"})


def is_verb_form(word: str) -> bool:
    """True when *word* (without «می») is one of the known verb stems with a personal ending."""
    return VERB_FORM.fullmatch(word) is not None
