// app.mjs: the console's entry point (placeholder until the console lands).
document.getElementById('app').textContent = 'esgx console';
