import { Injectable } from '@nestjs/common';

/** One stored message. */
export interface Message {
  id: number;
  text: string;
  /** Client id of the token that posted it (`system` for the first one). */
  author: string;
  createdAt: string;
}

/** Longest message text `POST /api/messages` accepts. */
export const MAX_MESSAGE_LENGTH = 280;

/** The messages, in memory. */
@Injectable()
export class MessageStore {
  private readonly messages: Message[] = [
    {
      id: 1,
      text: 'Hello from the scopeguard NestJS example',
      author: 'system',
      createdAt: new Date().toISOString(),
    },
  ];

  /** Every message, oldest first. */
  list(): readonly Message[] {
    return this.messages;
  }

  /** Stores a message written by `author`. */
  add(text: string, author: string): Message {
    const message = { id: this.messages.length + 1, text, author, createdAt: new Date().toISOString() };
    this.messages.push(message);
    return message;
  }
}
