// The sign-in page: the token goes to the server once, which answers with an HttpOnly cookie.
const form = document.getElementById("signin");
const input = document.getElementById("token");
const error = document.getElementById("signin-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const response = await fetch("/api/signin", {
    method: "POST",
    headers: { "content-type": "application/json", "x-cib-request": "1" },
    body: JSON.stringify({ token: input.value }),
    credentials: "same-origin",
  }).catch(() => null);
  if (response?.ok) {
    location.assign("/");
    return;
  }
  const body = response ? await response.json().catch(() => ({})) : {};
  error.textContent = body.error ?? "The server could not be reached.";
  error.hidden = false;
});
