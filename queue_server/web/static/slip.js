// The slip page's one button: the browser's print dialog (an office printer, or a PDF).
document.getElementById("slip-print").addEventListener("click", () => window.print());
