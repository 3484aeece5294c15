// The browser entry: mounts the app. Styles are bundled into assets/app.css beside it.
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
