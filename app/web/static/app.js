// Inside a lab's iframe: tell the host page our height so it can size the frame without a scroll bar.
(function () {
  if (window.parent === window || !document.body.classList.contains("embed")) return;
  function report() {
    window.parent.postMessage({ type: "iotmatch:height", height: document.documentElement.scrollHeight }, "*");
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
})();
