// Every overlay layer, by the name the controller and the show config use (server/core/config.py).
import { Audience } from "./audience.js";
import { Bracket, Standings } from "./season.js";
import { Buzzer } from "./buzzer.js";
import { Judges } from "./judges.js";
import { LowerThird } from "./lower-third.js";
import { orObstacle } from "./obstacle.js";
import { Question } from "./question.js";
import { Scoreboard } from "./scoreboard.js";
import { Timer } from "./timer.js";
import { Winner } from "./winner.js";

export const LAYERS = {
  scoreboard: Scoreboard,
  lower_third: LowerThird,
  question: orObstacle(Question), // the obstacle board in a segment with a hidden keyword
  timer: Timer,
  buzzer: Buzzer,
  judges: Judges,
  audience: Audience,
  standings: Standings,
  bracket: Bracket,
  winner: Winner,
};
