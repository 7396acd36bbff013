// What the online stages' pages share: their words (the catalogue's, inlined by the server), a shorthand
// for elements, a refusal said in the page's language, and a token taken out of the address bar.
export const strings = JSON.parse(document.getElementById("strings").textContent);
export const $ = (id) => document.getElementById(id);
export const t = (key, params = {}) =>
  (strings[key] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
export const saying = (error) => (error && error.key ? t(error.key, error.params || {}) : t("quiz.page.network"));

// A judge's or the organizers' ?token=: kept for this tab only, and out of the address (and of screenshots).
export function takeToken(name) {
  const given = new URLSearchParams(location.search).get("token");
  if (given) {
    sessionStorage.setItem(name, given);
    history.replaceState(null, "", location.pathname + (location.search.includes("lang=en") ? "?lang=en" : ""));
  }
  return sessionStorage.getItem(name) || "";
}
