// Entry point: the app shell in #app, every page registered, then the router renders the current path.
import { App } from "./app.ts";
import { registerPages } from "./pages/index.ts";

const root = document.getElementById("app");
if (!root) throw new Error("index.html lacks #app");
const app = new App(root);
registerPages(app);
app.start();
