// Points as people read them, one formatter per locale for every page (the server's twin is
// server/format.py): always the show's fixed decimals (view.show.decimals), Vietnamese "1.234,50",
// English "1,234.50", and a true minus sign so a negative score lines up with the others.

const formatters = new Map();

function formatter(decimals, lang) {
  const key = `${lang}:${decimals}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang === "en" ? "en-US" : "vi-VN", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
      signDisplay: "negative", // never "-0,00"
    });
    formatters.set(key, f);
  }
  return f;
}

/** `value` with exactly `decimals` decimals in `lang` ("vi" unless "en"): points(214.53, 2, "vi") === "214,53". */
export function points(value, decimals = 0, lang = document.documentElement.lang) {
  const places = Math.max(0, Math.min(3, Number(decimals) || 0));
  return formatter(places, lang === "en" ? "en" : "vi").format(Number(value ?? 0)).replace("-", "\u2212");
}

/** Points with a plus for a gain (changes, adjustments). */
export function signed(value, decimals = 0, lang = document.documentElement.lang) {
  return (Number(value) > 0 ? "+" : "") + points(value, decimals, lang);
}

/** A number someone typed or configured (a criterion's maximum, a step of 0.5), with its own decimals. */
export function plain(value, lang = document.documentElement.lang) {
  const places = (String(Number(value ?? 0)).split(".")[1] || "").length;
  return points(value, places, lang);
}
