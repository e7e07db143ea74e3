// perso edge worker: the module worker's entry (deploy: docs/edge-deploy.md).
import { createHandler } from "./handler.js";

export default createHandler();
