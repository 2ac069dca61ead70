/* The portal's one script. Every page works without it; it only makes narrow screens nicer.
 *
 * - On a narrow screen the main navigation and the account's links fold away behind a
 *   Menu button (the WAI-ARIA disclosure pattern: aria-expanded on the button, Escape
 *   closes it again).
 * - A table region (portal/table_regions.py) that fits its width does not scroll, so it
 *   needs no tab stop of its own; one that scrolls keeps tabindex="0" (WCAG 2.1.1).
 *
 * Loaded in <head> without defer, so the "js" class is on <html> before the page is
 * drawn and the folded navigation never flashes open.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function foldNavigation() {
    var button = document.getElementById("menu-button");
    var header = button && button.closest("header");
    if (!header) {
      return;
    }
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    header.addEventListener("keydown", function (event) {
      // Only while the button is shown (a narrow screen): on a wide one nothing folds.
      if (event.key === "Escape" && button.offsetParent !== null && header.classList.contains("menu-open")) {
        show(false);
        button.focus();
      }
    });
  }

  function tabStops() {
    var regions = document.querySelectorAll(".scroll-region");
    regions.forEach(function (region) {
      if (region.scrollWidth > region.clientWidth) {
        region.setAttribute("tabindex", "0");
      } else if (region !== document.activeElement) {
        region.removeAttribute("tabindex");
      }
    });
  }

  function watchRegions() {
    var regions = document.querySelectorAll(".scroll-region");
    if (!regions.length || typeof ResizeObserver === "undefined") {
      return; // every region keeps its tab stop
    }
    // A region narrows with the window; its table widens when a cell's details open.
    var observer = new ResizeObserver(tabStops);
    regions.forEach(function (region) {
      observer.observe(region);
      if (region.firstElementChild) {
        observer.observe(region.firstElementChild);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldNavigation();
    watchRegions();
  });
})();
